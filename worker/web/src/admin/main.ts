// Entry of the operator console (/admin): its own chunk, loaded only by staff behind Access.
import { createApp } from 'vue'
import ConsoleApp from './ConsoleApp.vue'
import '../style.css'
import './console.css'

createApp(ConsoleApp).mount('#app')
