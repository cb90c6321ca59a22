import { createApp } from 'vue'
import { createPinia } from 'pinia'
// Element Plus components are imported on demand by unplugin-vue-components;
// the styles of the service components (ElMessage, ElMessageBox) are imported here.
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import 'element-plus/theme-chalk/el-overlay.css'
import 'element-plus/theme-chalk/el-loading.css'
import './styles.css'

import App from './App.vue'
import { configureClient } from './api/http'
import { i18n, currentLocale, setLocale } from './i18n'
import { createAppRouter, onSessionEnded } from './router'
import { useSessionStore } from './stores/session'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)
const router = createAppRouter()

const session = useSessionStore(pinia)
configureClient({
  token: () => session.token,
  tenant: () => session.currentTenant?.slug ?? session.tenantSlug,
  language: () => currentLocale(),
  onUnauthorized: () => onSessionEnded(router),
})
setLocale(currentLocale())

app.use(router)
app.mount('#app')
