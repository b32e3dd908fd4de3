/** User agents: browsers of people, search-engine crawlers and hostile tools. */
import { WeightedTable } from './random.ts';

export const BROWSER_AGENTS = new WeightedTable<string>([
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    24,
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36',
    8,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    10,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
    8,
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
    14,
  ],
  [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
    14,
  ],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0', 6],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0',
    7,
  ],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 2],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    2,
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
    3,
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    2,
  ],
]);

export interface Crawler {
  readonly agent: string;
  /** Address prefixes the operator publishes for its crawler (first three octets). */
  readonly networks: readonly string[];
}

export const CRAWLERS = new WeightedTable<Crawler>([
  [
    {
      agent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      networks: ['66.249.66', '66.249.68', '66.249.79'],
    },
    35,
  ],
  [
    {
      agent:
        'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      networks: ['66.249.66', '66.249.70'],
    },
    20,
  ],
  [
    {
      agent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      networks: ['157.55.39', '40.77.167', '207.46.13'],
    },
    18,
  ],
  [
    {
      agent: 'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)',
      networks: ['20.191.45', '40.88.21'],
    },
    5,
  ],
  [
    {
      agent: 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
      networks: ['5.255.253', '213.180.203'],
    },
    7,
  ],
  [
    {
      agent: 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
      networks: ['220.181.108', '116.179.32'],
    },
    5,
  ],
  [
    {
      agent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)',
      networks: ['17.241.219', '17.58.98'],
    },
    6,
  ],
  [
    {
      agent: 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      networks: ['69.171.249', '173.252.83'],
    },
    4,
  ],
]);

/** Vulnerability scanners, scraping frameworks and bare HTTP libraries. */
export const BAD_BOT_AGENTS: readonly string[] = [
  'sqlmap/1.7.12#stable (https://sqlmap.org)',
  'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000734)',
  'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
  'python-requests/2.31.0',
  'curl/8.4.0',
  'Go-http-client/1.1',
  'Scrapy/2.11.0 (+https://scrapy.org)',
  'Wget/1.21.4',
  'Mozilla/5.0 zgrab/0.x',
  'Mozilla/4.5 (compatible; HTTrack 3.0x; Windows 98)',
  'libwww-perl/6.72',
  'python-httpx/0.25.2',
  'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)',
  'okhttp/4.12.0',
];
