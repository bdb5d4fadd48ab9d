// The worker's binding types, opaque: the page's build script (prerender.ts) uses the worker's
// config parsers, type-checked here without the Workers runtime's types.
interface D1Database {}
interface Fetcher {}
interface RateLimit {}
