// Entry of the customer page: styles, then the app. A page the worker served pre-rendered
// (dist/web/_pages, worker/web/prerender.ts) is hydrated; the plain shell is mounted.
import { createApp, createSSRApp } from 'vue'
import App from './App.vue'
import { INLINED_CONFIG, readInlinedConfig } from './inlined-config.ts'
import { parseRoute } from './route.ts'
import { storedChoice, useLocale } from './use-locale.ts'
import './style.css'

const root = document.getElementById('app')!
const prerendered = document.documentElement.hasAttribute('data-prerendered') && root.hasChildNodes()
const app = (prerendered ? createSSRApp : createApp)(App, {
  route: parseRoute(location.pathname, location.search),
})
app.provide(INLINED_CONFIG, readInlinedConfig(document))
app.mount(root)
// A choice remembered before the worker could read it (the cookie) applies once hydrated.
const stored = storedChoice()
if (stored) useLocale().setLocale(stored)
// Hydrated and listening: what the first-load bench and tests wait for.
document.documentElement.dataset.ready = 'true'
