/** What each kind of visitor looks at and does: weighted sections of the site, actions and forms. */
import { WeightedTable } from './random.ts';
import type { UserAction } from './record.ts';
import { type Page, SITE_PAGES } from './site.ts';

export type Section = readonly Page[];

const REGISTERED_PAGES = new WeightedTable<Section>([
  [SITE_PAGES.home, 10],
  [SITE_PAGES.products, 6],
  [SITE_PAGES.product, 22],
  [SITE_PAGES.category, 5],
  [SITE_PAGES.blog, 4],
  [SITE_PAGES.blogPost, 8],
  [SITE_PAGES.search, 12],
  [SITE_PAGES.account, 10],
  [SITE_PAGES.cart, 7],
  [SITE_PAGES.checkout, 2],
  [SITE_PAGES.about, 1],
  [SITE_PAGES.contact, 1],
  [SITE_PAGES.api, 6],
  [SITE_PAGES.admin, 0.3],
]);
const ADMIN_PAGES = new WeightedTable<Section>([
  [SITE_PAGES.home, 6],
  [SITE_PAGES.product, 10],
  [SITE_PAGES.search, 8],
  [SITE_PAGES.account, 6],
  [SITE_PAGES.api, 6],
  [SITE_PAGES.admin, 30],
]);
export const ANONYMOUS_PAGES = new WeightedTable<Section>([
  [SITE_PAGES.home, 15],
  [SITE_PAGES.products, 8],
  [SITE_PAGES.product, 25],
  [SITE_PAGES.category, 6],
  [SITE_PAGES.blog, 6],
  [SITE_PAGES.blogPost, 15],
  [SITE_PAGES.search, 12],
  [SITE_PAGES.account, 1.5],
  [SITE_PAGES.cart, 5],
  [SITE_PAGES.checkout, 0.5],
  [SITE_PAGES.about, 3],
  [SITE_PAGES.contact, 2],
  [SITE_PAGES.api, 2],
  [SITE_PAGES.admin, 0.2],
]);
const CRAWLER_PAGES = new WeightedTable<Section>([
  [SITE_PAGES.home, 4],
  [SITE_PAGES.products, 8],
  [SITE_PAGES.product, 40],
  [SITE_PAGES.category, 8],
  [SITE_PAGES.blog, 6],
  [SITE_PAGES.blogPost, 25],
  [SITE_PAGES.about, 3],
  [SITE_PAGES.sitemap, 4],
  [SITE_PAGES.legacy, 1.5],
  [SITE_PAGES.stale, 1],
]);

const REGISTERED_ACTIONS = new WeightedTable<UserAction>([
  ['view_page', 28],
  ['navigate_page', 26],
  ['scroll_page', 18],
  ['open_new_tab', 5],
  ['submit_form', 9],
  ['download_file', 5],
  ['upload_file', 1.5],
  ['close_window', 2],
]);
const ANONYMOUS_ACTIONS = new WeightedTable<UserAction>([
  ['view_page', 34],
  ['navigate_page', 25],
  ['scroll_page', 20],
  ['open_new_tab', 5],
  ['submit_form', 4],
  ['download_file', 4],
  ['close_window', 3],
]);
const CRAWLER_ACTIONS = new WeightedTable<UserAction>([
  ['view_page', 85],
  ['navigate_page', 15],
]);

const REGISTERED_FORMS = new WeightedTable<Section>([
  [SITE_PAGES.forms.cart, 6],
  [SITE_PAGES.forms.checkout, 2],
  [SITE_PAGES.forms.account, 2],
  [SITE_PAGES.forms.comments, 2],
  [SITE_PAGES.forms.contact, 1],
  [SITE_PAGES.forms.newsletter, 1],
]);
const ANONYMOUS_FORMS = new WeightedTable<Section>([
  [SITE_PAGES.forms.cart, 3],
  [SITE_PAGES.forms.contact, 3],
  [SITE_PAGES.forms.newsletter, 3],
  [SITE_PAGES.forms.comments, 1],
]);

/** What a kind of visitor looks at and does. */
export interface Habits {
  readonly pages: WeightedTable<Section>;
  readonly actions: WeightedTable<UserAction>;
  readonly forms: WeightedTable<Section>;
}

export const REGISTERED_HABITS: Habits = {
  pages: REGISTERED_PAGES,
  actions: REGISTERED_ACTIONS,
  forms: REGISTERED_FORMS,
};
export const ADMIN_HABITS: Habits = {
  pages: ADMIN_PAGES,
  actions: REGISTERED_ACTIONS,
  forms: REGISTERED_FORMS,
};
export const ANONYMOUS_HABITS: Habits = {
  pages: ANONYMOUS_PAGES,
  actions: ANONYMOUS_ACTIONS,
  forms: ANONYMOUS_FORMS,
};
export const CRAWLER_HABITS: Habits = {
  pages: CRAWLER_PAGES,
  actions: CRAWLER_ACTIONS,
  forms: ANONYMOUS_FORMS,
};
