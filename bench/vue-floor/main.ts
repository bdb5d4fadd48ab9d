// The floor page's client: hydrates what server.ts rendered, then marks the page ready as the
// apply page does (html[data-ready]).
import { createSSRApp } from 'vue'
import App from './App.vue'

const root = document.getElementById('app')!
createSSRApp(App, { featureCode: root.dataset.featureCode ?? '' }).mount(root)
document.documentElement.dataset.ready = 'true'
