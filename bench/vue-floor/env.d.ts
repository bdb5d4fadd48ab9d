// Lets TypeScript resolve the floor page's single-file component.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<{ featureCode: string }, object, unknown>
  export default component
}
