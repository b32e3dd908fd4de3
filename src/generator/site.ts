/** The simulated website: its endpoints, their latency profiles and every URL a visitor can reach. */
import { flatString } from './flat-string.ts';

export const SITE = 'https://streamprocessingdemo.com';

export interface Endpoint {
  /** Route pattern, also used as the `target` of attack labels. */
  readonly route: string;
  /** Median response time in ms and the sigma of its log-normal distribution. */
  readonly medianMs: number;
  readonly sigma: number;
  /** Part of authentication or the account area: a 4xx here is a security event. */
  readonly auth: boolean;
  /** Admin area, uploads and files that must never be served: every hit is a security event. */
  readonly sensitive: boolean;
  /** Needs a logged-in user; anonymous visitors are redirected to the login page. */
  readonly loginRequired: boolean;
}

export interface Page {
  readonly url: string;
  readonly endpoint: Endpoint;
}

interface EndpointTraits {
  auth?: boolean;
  sensitive?: boolean;
  loginRequired?: boolean;
}

function endpoint(route: string, medianMs: number, sigma: number, traits: EndpointTraits = {}): Endpoint {
  return {
    route,
    medianMs,
    sigma,
    auth: traits.auth ?? false,
    sensitive: traits.sensitive ?? false,
    loginRequired: traits.loginRequired ?? false,
  };
}

export const ENDPOINTS = {
  home: endpoint('/', 85, 0.45),
  products: endpoint('/products', 140, 0.5),
  product: endpoint('/products/:id', 110, 0.5),
  category: endpoint('/products/category/:name', 150, 0.5),
  blog: endpoint('/blog', 90, 0.4),
  blogPost: endpoint('/blog/:slug', 75, 0.45),
  comments: endpoint('/blog/:slug/comments', 210, 0.5),
  search: endpoint('/search', 380, 0.75),
  cart: endpoint('/cart', 120, 0.5),
  checkout: endpoint('/checkout', 420, 0.6),
  about: endpoint('/about', 60, 0.4),
  contact: endpoint('/contact', 110, 0.45),
  newsletter: endpoint('/newsletter/subscribe', 150, 0.4),
  login: endpoint('/login', 230, 0.35, { auth: true }),
  logout: endpoint('/logout', 45, 0.4, { auth: true }),
  account: endpoint('/account', 160, 0.5, { auth: true, loginRequired: true }),
  accountSettings: endpoint('/account/settings', 180, 0.5, { auth: true, loginRequired: true }),
  accountOrders: endpoint('/account/orders', 240, 0.6, { auth: true, loginRequired: true }),
  accountEmail: endpoint('/account/email', 260, 0.5, { auth: true, loginRequired: true }),
  accountPassword: endpoint('/account/password', 320, 0.4, { auth: true, loginRequired: true }),
  accountExport: endpoint('/account/export', 900, 0.7, { auth: true, loginRequired: true }),
  avatar: endpoint('/account/avatar', 900, 0.7, { auth: true, loginRequired: true }),
  admin: endpoint('/admin', 260, 0.5, { auth: true, sensitive: true, loginRequired: true }),
  adminUsers: endpoint('/admin/users', 320, 0.55, { auth: true, sensitive: true, loginRequired: true }),
  adminReports: endpoint('/admin/reports', 1400, 0.8, { auth: true, sensitive: true, loginRequired: true }),
  apiProducts: endpoint('/api/v1/products', 55, 0.6),
  apiCart: endpoint('/api/v1/cart', 70, 0.6),
  apiMe: endpoint('/api/v1/me', 40, 0.5, { auth: true, loginRequired: true }),
  apiFiles: endpoint('/api/v1/files', 1300, 0.8, { sensitive: true, loginRequired: true }),
  downloads: endpoint('/downloads/:file', 450, 0.9),
  upload: endpoint('/upload', 1600, 0.8, { sensitive: true, loginRequired: true }),
  robots: endpoint('/robots.txt', 8, 0.3),
  sitemap: endpoint('/sitemap.xml', 40, 0.4),
  legacy: endpoint('/shop/:id', 15, 0.4),
  notFound: endpoint('(not found)', 25, 0.5),
  probe: endpoint('(probe)', 20, 0.5, { sensitive: true }),
} as const;

function pages(ep: Endpoint, paths: readonly string[]): Page[] {
  return paths.map((path) => ({ url: flatString(SITE + path), endpoint: ep }));
}

const CATEGORIES = [
  'streaming',
  'databases',
  'analytics',
  'connectors',
  'monitoring',
  'security',
  'training',
];
const PRODUCT_IDS = Array.from({ length: 240 }, (_, i) => 1001 + i);
const BLOG_SLUGS = [
  'what-is-stream-processing',
  'materialized-views-explained',
  'kafka-vs-warpstream',
  'watermarks-and-late-data',
  'tumbling-vs-hopping-windows',
  'exactly-once-in-practice',
  'real-time-fraud-detection',
  'monitoring-web-traffic-with-sql',
  'scaling-stateful-operators',
  'change-data-capture-101',
  'designing-event-schemas',
  'backpressure-in-streaming-systems',
  'joins-over-unbounded-streams',
  'sessionization-with-sql',
  'top-n-queries-in-streaming',
  'grafana-dashboards-for-streams',
  'incremental-computation',
  'release-notes-2-4',
  'benchmarking-ingestion',
  'securing-your-data-pipeline',
];
export const SEARCH_TERMS = [
  'kafka',
  'stream processing',
  'materialized view',
  'pricing',
  'window functions',
  'connector',
  'postgres',
  'latency',
  'tutorial',
  'exactly once',
  'watermark',
  'grafana',
  'docker',
  'license',
  'support',
  'sql join',
  'cdc',
  'benchmark',
  's3 sink',
  'api key',
];
const DOWNLOAD_FILES = [
  'whitepaper-streaming-sql.pdf',
  'product-catalog-2024.pdf',
  'tidewatch-setup-2.4.1.exe',
  'tidewatch-2.4.1.tar.gz',
  'datasheet.pdf',
  'case-study-fintech.pdf',
  'quickstart-guide.pdf',
  'sample-data.csv',
];

export const SITE_PAGES = {
  home: pages(ENDPOINTS.home, ['']),
  products: pages(ENDPOINTS.products, ['/products', '/products?sort=price', '/products?page=2']),
  product: pages(
    ENDPOINTS.product,
    PRODUCT_IDS.map((id) => `/products/${id}`),
  ),
  category: pages(
    ENDPOINTS.category,
    CATEGORIES.map((name) => `/products/category/${name}`),
  ),
  blog: pages(ENDPOINTS.blog, ['/blog', '/blog?page=2']),
  blogPost: pages(
    ENDPOINTS.blogPost,
    BLOG_SLUGS.map((slug) => `/blog/${slug}`),
  ),
  search: pages(
    ENDPOINTS.search,
    SEARCH_TERMS.map((term) => `/search?q=${encodeURIComponent(term).replaceAll('%20', '+')}`),
  ),
  cart: pages(ENDPOINTS.cart, ['/cart']),
  checkout: pages(ENDPOINTS.checkout, ['/checkout', '/checkout/payment', '/checkout/confirm']),
  about: pages(ENDPOINTS.about, ['/about', '/about/team', '/pricing']),
  contact: pages(ENDPOINTS.contact, ['/contact']),
  login: pages(ENDPOINTS.login, ['/login']),
  logout: pages(ENDPOINTS.logout, ['/logout']),
  account: [
    ...pages(ENDPOINTS.account, ['/account']),
    ...pages(ENDPOINTS.accountSettings, ['/account/settings']),
    ...pages(ENDPOINTS.accountOrders, ['/account/orders']),
  ],
  admin: [
    ...pages(ENDPOINTS.admin, ['/admin']),
    ...pages(ENDPOINTS.adminUsers, ['/admin/users', '/admin/users?role=editor']),
    ...pages(ENDPOINTS.adminReports, ['/admin/reports', '/admin/reports/traffic', '/admin/reports/sales']),
  ],
  api: [
    ...pages(ENDPOINTS.apiProducts, ['/api/v1/products', '/api/v1/products?category=streaming']),
    ...pages(ENDPOINTS.apiCart, ['/api/v1/cart']),
    ...pages(ENDPOINTS.apiMe, ['/api/v1/me']),
  ],
  downloads: pages(
    ENDPOINTS.downloads,
    DOWNLOAD_FILES.map((file) => `/downloads/${file}`),
  ),
  forms: {
    contact: pages(ENDPOINTS.contact, ['/contact']),
    newsletter: pages(ENDPOINTS.newsletter, ['/newsletter/subscribe']),
    cart: pages(ENDPOINTS.apiCart, ['/api/v1/cart', '/cart/add']),
    checkout: pages(ENDPOINTS.checkout, ['/checkout/payment', '/checkout/confirm']),
    comments: pages(
      ENDPOINTS.comments,
      BLOG_SLUGS.slice(0, 8).map((slug) => `/blog/${slug}/comments`),
    ),
    account: [
      ...pages(ENDPOINTS.accountSettings, ['/account/settings']),
      ...pages(ENDPOINTS.accountPassword, ['/account/password']),
    ],
  },
  uploads: [
    ...pages(ENDPOINTS.upload, ['/upload']),
    ...pages(ENDPOINTS.avatar, ['/account/avatar']),
    ...pages(ENDPOINTS.apiFiles, ['/api/v1/files']),
  ],
  robots: pages(ENDPOINTS.robots, ['/robots.txt']),
  sitemap: pages(ENDPOINTS.sitemap, ['/sitemap.xml', '/sitemap-products.xml', '/sitemap-blog.xml']),
  /** Old links still found on other sites and in bookmarks. */
  stale: pages(ENDPOINTS.notFound, [
    '/products/999',
    '/products/2087',
    '/blog/old-announcement-2019',
    '/promo/black-friday-2022',
    '/docs/v1/getting-started',
    '/careers/senior-engineer',
    '/images/banner-old.png',
    '/favicon-32.png',
  ]),
  legacy: pages(
    ENDPOINTS.legacy,
    PRODUCT_IDS.slice(0, 20).map((id) => `/shop/${id}`),
  ),
} as const;
