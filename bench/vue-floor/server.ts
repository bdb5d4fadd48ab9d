// The floor page's server side, built by bench/first-load.ts with `vite build --ssr`.
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import App from './App.vue'

export const render = (featureCode: string) => renderToString(createSSRApp(App, { featureCode }))
