// The consoles' sections: each entry is both a route and a menu entry.
//
// Adding a section (e.g. catalogue → products) is:
//   1. one view file, e.g. src/views/merchant/ProductsView.vue
//   2. one entry below (path, name, titleKey, permission, component, order[, group, icon])
//   3. its title in src/locales/zh-CN.ts and en.ts (menu.*)
// The menu shows the entry only when the user's permissions (for the current
// shop, or the platform ones) meet `permission`; the route guard refuses the
// route otherwise. Every section must declare a permission (tested).
import type { Component } from 'vue'
import { markRaw } from 'vue'
import { Box, Coin, Connection, DataLine, Discount, Folder, Share, Goods, List, Medal, Setting, Tickets, Ticket, User, UserFilled, Van, Operation, Trophy, Histogram, Cpu, Finished } from '@element-plus/icons-vue'
import type { Console, MenuEntry, Requirement } from '@/utils/permissions'

export interface Section {
  console: Console
  /** Path below the console root (/merchant or /platform). */
  path: string
  /** Unique route name, "<console>.<section>". */
  name: string
  /** i18n key of the menu/page title. */
  titleKey: string
  /** Permission needed (string, or any one of several). */
  permission: Requirement
  component: () => Promise<Component | { default: Component }>
  /** Menu position (ascending); leave gaps (10, 20, ...) for later sections. */
  order: number
  /** Optional sub-menu key (title: menu.group.<key>). */
  group?: string
  icon?: Component
  /** Route only, no menu entry (e.g. detail pages). */
  hidden?: boolean
}

export const sections: Section[] = [
  // --- merchant admin (permissions for the current shop) ---
  {
    console: 'merchant',
    path: 'products',
    name: 'merchant.products',
    titleKey: 'menu.products',
    permission: 'catalog:read',
    component: () => import('@/views/merchant/ProductsView.vue'),
    order: 100,
    group: 'catalog',
    icon: markRaw(Goods),
  },
  {
    console: 'merchant',
    path: 'products/import',
    name: 'merchant.productImport',
    titleKey: 'menu.productImport',
    permission: 'catalog:write',
    component: () => import('@/views/merchant/ProductImportView.vue'),
    order: 101,
    group: 'catalog',
    hidden: true,
  },
  {
    console: 'merchant',
    path: 'products/:id',
    name: 'merchant.productEdit',
    titleKey: 'menu.productEdit',
    permission: 'catalog:read',
    component: () => import('@/views/merchant/ProductEditView.vue'),
    order: 102,
    group: 'catalog',
    hidden: true,
  },
  {
    console: 'merchant',
    path: 'categories',
    name: 'merchant.categories',
    titleKey: 'menu.categories',
    permission: 'catalog:read',
    component: () => import('@/views/merchant/CategoriesView.vue'),
    order: 110,
    group: 'catalog',
    icon: markRaw(Folder),
  },
  {
    console: 'merchant',
    path: 'staff',
    name: 'merchant.staff',
    titleKey: 'menu.staff',
    permission: 'staff:read',
    component: () => import('@/views/merchant/StaffView.vue'),
    order: 900,
    group: 'shop',
    icon: markRaw(User),
  },
  {
    console: 'merchant',
    path: 'settings',
    name: 'merchant.settings',
    titleKey: 'menu.settings',
    permission: 'settings:read',
    component: () => import('@/views/merchant/SettingsView.vue'),
    order: 910,
    group: 'shop',
    icon: markRaw(Setting),
  },
  {
    console: 'merchant',
    path: 'dashboard',
    name: 'merchant.dashboard',
    titleKey: 'menu.dashboard',
    permission: 'stats:read',
    component: () => import('@/views/merchant/DashboardView.vue'),
    order: 10,
    icon: markRaw(DataLine),
  },
  {
    console: 'merchant',
    path: 'orders',
    name: 'merchant.orders',
    titleKey: 'menu.orders',
    permission: 'orders:read',
    component: () => import('@/views/merchant/OrdersView.vue'),
    order: 50,
    group: 'trade',
    icon: markRaw(List),
  },
  {
    console: 'merchant',
    path: 'members',
    name: 'merchant.members',
    titleKey: 'menu.members',
    permission: 'members:read',
    component: () => import('@/views/merchant/MembersView.vue'),
    order: 200,
    group: 'customers',
    icon: markRaw(UserFilled),
  },
  {
    console: 'merchant',
    path: 'member-levels',
    name: 'merchant.memberLevels',
    titleKey: 'menu.memberLevels',
    permission: 'members:read',
    component: () => import('@/views/merchant/MemberLevelsView.vue'),
    order: 210,
    group: 'customers',
    icon: markRaw(Medal),
  },
  {
    console: 'merchant',
    path: 'coupons',
    name: 'merchant.coupons',
    titleKey: 'menu.coupons',
    permission: 'marketing:read',
    component: () => import('@/views/merchant/CouponsView.vue'),
    order: 300,
    group: 'marketing',
    icon: markRaw(Ticket),
  },
  {
    console: 'merchant',
    path: 'promotions',
    name: 'merchant.promotions',
    titleKey: 'menu.promotions',
    permission: 'marketing:read',
    component: () => import('@/views/merchant/PromotionsView.vue'),
    order: 310,
    group: 'marketing',
    icon: markRaw(Discount),
  },
  {
    console: 'merchant',
    path: 'distribution',
    name: 'merchant.distribution',
    titleKey: 'menu.distribution',
    permission: ['distribution:read', 'finance:read'],
    component: () => import('@/views/merchant/DistributionView.vue'),
    order: 400,
    group: 'marketing',
    icon: markRaw(Share),
  },
  {
    console: 'merchant',
    path: 'distribution/settings',
    name: 'merchant.distributionSettings',
    titleKey: 'distSettings.title',
    permission: 'distribution:read',
    component: () => import('@/views/merchant/DistributionSettingsView.vue'),
    order: 401,
    group: 'marketing',
    icon: markRaw(Operation),
  },
  {
    console: 'merchant',
    path: 'distribution/grades',
    name: 'merchant.distributorGrades',
    titleKey: 'distGrades.title',
    permission: 'distribution:read',
    component: () => import('@/views/merchant/DistributorGradesView.vue'),
    order: 402,
    group: 'marketing',
    icon: markRaw(Trophy),
  },
  {
    console: 'merchant',
    path: 'distribution/team',
    name: 'merchant.distributorTeam',
    titleKey: 'team.title',
    permission: 'distribution:read',
    component: () => import('@/views/merchant/DistributorTeamView.vue'),
    order: 403,
    group: 'marketing',
    icon: markRaw(Histogram),
  },
  {
    console: 'merchant',
    path: 'distribution/simulator',
    name: 'merchant.commissionSimulator',
    titleKey: 'simulator.title',
    permission: 'distribution:read',
    component: () => import('@/views/merchant/CommissionSimulatorView.vue'),
    order: 404,
    group: 'marketing',
    icon: markRaw(Cpu),
  },
  {
    console: 'merchant',
    path: 'finance/reconciliation',
    name: 'merchant.reconciliation',
    titleKey: 'reconciliation.title',
    permission: 'finance:read',
    component: () => import('@/views/merchant/ReconciliationView.vue'),
    order: 61,
    group: 'trade',
    icon: markRaw(Finished),
  },
  {
    console: 'merchant',
    path: 'after-sales',
    name: 'merchant.afterSales',
    titleKey: 'menu.afterSales',
    permission: 'orders:read',
    component: () => import('@/views/merchant/AfterSalesView.vue'),
    order: 55,
    group: 'trade',
    icon: markRaw(Tickets),
  },
  {
    console: 'merchant',
    path: 'carriers',
    name: 'merchant.carriers',
    titleKey: 'menu.carriers',
    permission: 'orders:read',
    component: () => import('@/views/merchant/CarriersView.vue'),
    order: 57,
    group: 'trade',
    icon: markRaw(Van),
  },
  {
    console: 'merchant',
    path: 'finance',
    name: 'merchant.finance',
    titleKey: 'menu.finance',
    permission: 'finance:read',
    component: () => import('@/views/merchant/FinanceView.vue'),
    order: 60,
    group: 'trade',
    icon: markRaw(Coin),
  },
  {
    console: 'merchant',
    path: 'plugins',
    name: 'merchant.plugins',
    titleKey: 'menu.shopPlugins',
    permission: 'plugins:read',
    component: () => import('@/views/merchant/ShopPluginsView.vue'),
    order: 920,
    group: 'shop',
    icon: markRaw(Connection),
  },

  // --- platform console (platform permissions) ---
  {
    console: 'platform',
    path: 'tenants',
    name: 'platform.tenants',
    titleKey: 'menu.tenants',
    permission: 'platform.tenants:read',
    component: () => import('@/views/platform/TenantsView.vue'),
    order: 10,
    icon: markRaw(Box),
  },
  {
    console: 'platform',
    path: 'plans',
    name: 'platform.plans',
    titleKey: 'menu.plans',
    permission: 'platform.plans:read',
    component: () => import('@/views/platform/PlansView.vue'),
    order: 20,
    icon: markRaw(Tickets),
  },
  {
    console: 'platform',
    path: 'plugins',
    name: 'platform.plugins',
    titleKey: 'menu.plugins',
    permission: 'platform.plugins:read',
    component: () => import('@/views/platform/PluginsView.vue'),
    order: 30,
    icon: markRaw(Connection),
  },
  {
    console: 'platform',
    path: 'reports',
    name: 'platform.reports',
    titleKey: 'menu.platformReports',
    permission: 'platform.reports:read',
    component: () => import('@/views/platform/ReportsView.vue'),
    order: 40,
    icon: markRaw(DataLine),
  },
]

/** Menu entries (all consoles, unfiltered) derived from the sections. */
export function menuEntries(list: Section[] = sections): MenuEntry[] {
  return list
    .filter((s) => !s.hidden)
    .map((s) => ({
      name: s.name,
      path: `/${s.console}/${s.path}`,
      titleKey: s.titleKey,
      permission: s.permission,
      console: s.console,
      group: s.group,
      order: s.order,
      icon: s.icon,
    }))
}
