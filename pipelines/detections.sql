-- Threat detections over website_logs_source, in RisingWave's dialect: one view per family of
-- attacks, each row one detection, and `detections`, their union minus the allow-listed actors.
-- Thresholds live in detection_thresholds and the allow-list in detection_allowlist: the views
-- join them, so an UPDATE there changes the detections at the next epoch, without a restart.
-- The rules read the thresholds as they are when a window's counts change (a process-time
-- temporal join, FOR SYSTEM_TIME AS OF PROCTIME()): a rule keeps only its open windows, and a
-- threshold changed later judges the windows still counting, not the detections already made.
-- The allow-list is a plain join: allow-listing an actor takes back its past detections too.
-- Defaults follow established rule sets: CrowdSec's HTTP scenarios (http-generic-bf: 5 failures
-- in a 10 s leak, http-probing: 10 distinct 4xx paths, http-sensitive-files: 2, http-bad-user-agent:
-- 1), fail2ban's jails (maxretry 5) and OWASP CRS (one critical match is enough to block).
-- Every rule also works on plain access logs: username, user_action and security_level may be NULL.

CREATE TABLE IF NOT EXISTS detection_thresholds (
    scenario VARCHAR,
    name VARCHAR,
    value DOUBLE PRECISION,
    PRIMARY KEY (scenario, name)
);

CREATE TABLE IF NOT EXISTS detection_allowlist (
    actor VARCHAR PRIMARY KEY,
    reason VARCHAR
);

-- The defaults, for the names not set yet: a restart keeps what a user changed.
INSERT INTO detection_thresholds
SELECT d.scenario, d.name, d.value
FROM (VALUES
    ('brute-force', 'failed_logins', 6.0),
    ('brute-force', 'max_usernames', 5.0),
    ('credential-stuffing', 'failed_logins', 6.0),
    ('credential-stuffing', 'distinct_usernames', 5.0),
    ('path-scan', 'distinct_4xx_paths', 11.0),
    ('path-scan', 'sensitive_paths', 3.0),
    ('path-scan', 'unusual_methods', 1.0),
    ('injection', 'matching_requests', 1.0),
    ('bad-bot', 'tool_agent_requests', 2.0),
    ('bad-bot', 'distinct_agents', 6.0),
    ('flood', 'requests_per_10s', 100.0),
    ('flood', 'requests_per_minute', 300.0),
    ('account-takeover', 'distinct_ips', 5.0),
    ('security-surge', 'high_events', 30.0),
    ('degradation', 'min_requests', 20.0),
    ('degradation', 'error_rate', 0.25),
    ('degradation', 'latency_factor', 4.0)
) AS d (scenario, name, value)
LEFT JOIN detection_thresholds AS t ON t.scenario = d.scenario AND t.name = d.name
WHERE t.scenario IS NULL;

-- Failed logins per address on a sliding minute (every 10 s), so that a burst across a minute
-- boundary is caught. A failed login: the login action, or a POST to a login-like path, answered
-- 401 or 403.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_login_failures AS
SELECT
    ip_address,
    COUNT(*) AS failures,
    COUNT(DISTINCT username) AS usernames,
    MIN(username) AS some_username,
    window_start,
    window_end
FROM HOP(website_logs_source, request_timestamp, INTERVAL '10 SECONDS', INTERVAL '60 SECONDS')
WHERE status_code IN (401, 403)
    AND (user_action = 'login'
        OR (http_method = 'POST' AND url ~* '(login|signin|sign_in|logon|auth|session)'))
GROUP BY ip_address, window_start, window_end;

-- Brute force: many failed logins from one address against few accounts.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_brute_force AS
SELECT
    'brute-force' AS scenario,
    f.ip_address AS actor,
    f.window_start,
    f.window_end,
    CASE WHEN f.failures >= 10 * n.value THEN 'critical' ELSE 'high' END AS severity,
    concat(f.failures, ' failed logins in 60 s', CASE WHEN f.some_username IS NULL THEN ''
        ELSE concat(' on ', f.usernames, ' account(s), e.g. ', f.some_username) END) AS evidence
FROM detection_login_failures AS f
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS n ON n.scenario = 'brute-force' AND n.name = 'failed_logins'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS u ON u.scenario = 'brute-force' AND u.name = 'max_usernames'
WHERE f.failures >= n.value AND f.usernames < u.value;

-- Credential stuffing: failed logins from one address on many distinct accounts.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_credential_stuffing AS
SELECT
    'credential-stuffing' AS scenario,
    f.ip_address AS actor,
    f.window_start,
    f.window_end,
    CASE WHEN f.usernames >= 10 * u.value THEN 'critical' ELSE 'high' END AS severity,
    concat(f.failures, ' failed logins in 60 s on ', f.usernames, ' accounts, e.g. ', f.some_username)
        AS evidence
FROM detection_login_failures AS f
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS n ON n.scenario = 'credential-stuffing' AND n.name = 'failed_logins'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS u ON u.scenario = 'credential-stuffing' AND u.name = 'distinct_usernames'
WHERE f.failures >= n.value AND f.usernames >= u.value;

-- Path scans per address and minute: distinct paths answered 400/403/404, probes of well-known
-- sensitive files and admin tools, and methods no site needs.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_probe_counts AS
WITH probes AS (
    SELECT
        ip_address,
        regexp_replace(url, '^[A-Za-z]+://[^/]*|[?#].*$', '', 'g') AS path,
        status_code,
        upper(http_method) AS method,
        window_start,
        window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    WHERE status_code IN (400, 403, 404, 405)
        OR upper(http_method) IN ('PROPFIND', 'TRACE', 'TRACK', 'DEBUG', 'CONNECT', 'MKCOL', 'SEARCH')
)
SELECT
    ip_address,
    COUNT(DISTINCT CASE WHEN status_code IN (400, 403, 404) THEN path END) AS error_paths,
    COUNT(DISTINCT CASE WHEN path ~* '(/\.(git|svn|hg|env|aws|ssh|htaccess|htpasswd|ds_store)|wp-admin|wp-login|wp-config|xmlrpc\.php|phpmyadmin|phpinfo|server-status|/actuator/|eval-stdin|\.(sql|bak|old|swp|sqlite)$|/backup|/dump)'
        THEN path END) AS sensitive_paths,
    SUM(CASE WHEN method IN ('PROPFIND', 'TRACE', 'TRACK', 'DEBUG', 'CONNECT', 'MKCOL', 'SEARCH')
        THEN 1 ELSE 0 END) AS unusual_methods,
    MIN(path) AS some_path,
    window_start,
    window_end
FROM probes
GROUP BY ip_address, window_start, window_end;

CREATE MATERIALIZED VIEW IF NOT EXISTS detection_path_scan AS
SELECT
    'path-scan' AS scenario,
    c.ip_address AS actor,
    c.window_start,
    c.window_end,
    CASE WHEN c.sensitive_paths >= s.value THEN 'high' ELSE 'medium' END AS severity,
    concat(c.error_paths, ' distinct 4xx paths, ', c.sensitive_paths, ' sensitive, ', c.unusual_methods,
        ' unusual methods in 1 min, e.g. ', c.some_path) AS evidence
FROM detection_probe_counts AS c
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS p ON p.scenario = 'path-scan' AND p.name = 'distinct_4xx_paths'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS s ON s.scenario = 'path-scan' AND s.name = 'sensitive_paths'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS m ON m.scenario = 'path-scan' AND m.name = 'unusual_methods'
WHERE c.error_paths >= p.value OR c.sensitive_paths >= s.value OR c.unusual_methods >= m.value;

-- Injection probes per address and minute, on the URL lower-cased and with the escapes that
-- carry the payloads decoded: SQL injection, cross-site scripting, path traversal, command
-- injection (OWASP CRS's families). Escalated when the site answered 2xx.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_injection_counts AS
WITH decoded AS (
    SELECT
        ip_address,
        status_code,
        url,
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(lower(url),
            '+', ' '), '%20', ' '), '%27', ''''), '%22', '"'), '%3c', '<'), '%3e', '>'),
            '%28', '('), '%29', ')'), '%3d', '='), '%3b', ';'), '%2f', '/'), '%2e', '.'),
            '%23', '#'), '%2c', ','), '%40', '@'), '%7c', '|'), '%60', '`') AS u,
        window_start,
        window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    WHERE url LIKE '%\%%' OR url LIKE '%''%' OR url LIKE '%<%' OR url LIKE '%..%' OR url LIKE '%;%'
        OR url LIKE '%|%' OR url LIKE '%$%' OR url LIKE '%`%' OR url ~* '(select|union|script|sleep|passwd)'
),
classified AS (
    SELECT
        ip_address,
        status_code,
        url,
        CASE
            WHEN u ~ '(union( all)? select|''\s*(or|and)\s+[''"0-9a-z]|\sor\s+[0-9]+\s*=\s*[0-9]|\sand\s+[0-9]+\s*=\s*[0-9]|(sleep|benchmark|pg_sleep)\s*\(|waitfor\s+delay|information_schema|extractvalue\s*\(|updatexml\s*\(|@@version|;\s*(drop|delete|insert|update|shutdown)\s|order\s+by\s+[0-9]+\s*(--|#)|''\s*(--|#)|convert\s*\(\s*int)'
                THEN 'sqli'
            WHEN u ~ '(<\s*(script|iframe|svg|img|body|details|object|embed)|javascript:|\son[a-z]+\s*=|document\.(cookie|location)|(alert|prompt|confirm)\s*\()'
                THEN 'xss'
            WHEN u ~ '(\.\./|\.\.\\|/etc/(passwd|shadow)|win\.ini|boot\.ini|/proc/self/)' THEN 'path-traversal'
            WHEN u ~ '(;|\||`|\$\()\s*(cat|ls|id|whoami|uname|wget|curl|nc|bash|sh|ping)\b' THEN 'command-injection'
        END AS kind,
        window_start,
        window_end
    FROM decoded
)
SELECT
    ip_address,
    kind,
    COUNT(*) AS requests,
    SUM(CASE WHEN status_code >= 200 AND status_code < 300 THEN 1 ELSE 0 END) AS answered_2xx,
    MIN(url) AS some_url,
    window_start,
    window_end
FROM classified
WHERE kind IS NOT NULL
GROUP BY ip_address, kind, window_start, window_end;

CREATE MATERIALIZED VIEW IF NOT EXISTS detection_injection AS
SELECT
    c.kind AS scenario,
    c.ip_address AS actor,
    c.window_start,
    c.window_end,
    CASE WHEN c.answered_2xx > 0 THEN 'critical' ELSE 'high' END AS severity,
    concat(c.requests, ' ', c.kind, ' probes in 1 min (', c.answered_2xx, ' answered 2xx), e.g. ',
        left(c.some_url, 120)) AS evidence
FROM detection_injection_counts AS c
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS t ON t.scenario = 'injection' AND t.name = 'matching_requests'
WHERE c.requests >= t.value;

-- Bad bots per address and minute: scanners' and scripted clients' user agents, and clients
-- rotating user agents. The counts are this view's own (not a view of their own, which would
-- keep a row per address and minute of all traffic).
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_bad_bot AS
WITH agent_counts AS (
    SELECT
        ip_address,
        SUM(CASE WHEN user_agent ~* '(sqlmap|nikto|masscan|nmap|zgrab|nuclei|acunetix|netsparker|wpscan|dirbuster|gobuster|feroxbuster|hydra|httrack|scrapy|python-requests|python-httpx|python-urllib|aiohttp|go-http-client|curl/|wget/|libwww-perl|okhttp|java/|zmeu|masscan)'
            THEN 1 ELSE 0 END) AS tool_requests,
        COUNT(DISTINCT user_agent) AS agents,
        MAX(user_agent) AS some_agent,
        window_start,
        window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    GROUP BY ip_address, window_start, window_end
)
SELECT
    'bad-bot' AS scenario,
    c.ip_address AS actor,
    c.window_start,
    c.window_end,
    'medium' AS severity,
    concat(c.tool_requests, ' requests with a tool''s user agent, ', c.agents, ' user agents in 1 min, e.g. ',
        left(c.some_agent, 80)) AS evidence
FROM agent_counts AS c
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS t ON t.scenario = 'bad-bot' AND t.name = 'tool_agent_requests'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS a ON a.scenario = 'bad-bot' AND a.name = 'distinct_agents'
WHERE c.tool_requests >= t.value OR c.agents >= a.value;

-- Request floods: requests per address per 10 s and per minute.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_flood AS
WITH per_10s AS (
    SELECT ip_address, COUNT(*) AS requests, MIN(url) AS some_url, window_start, window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '10 SECONDS')
    GROUP BY ip_address, window_start, window_end
),
per_minute AS (
    SELECT ip_address, COUNT(*) AS requests, MIN(url) AS some_url, window_start, window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    GROUP BY ip_address, window_start, window_end
)
SELECT
    'flood' AS scenario,
    c.ip_address AS actor,
    c.window_start,
    c.window_end,
    CASE WHEN c.requests >= 10 * t.value THEN 'critical' ELSE 'high' END AS severity,
    concat(c.requests, ' requests in 10 s, e.g. ', left(c.some_url, 120)) AS evidence
FROM per_10s AS c
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS t ON t.scenario = 'flood' AND t.name = 'requests_per_10s'
WHERE c.requests >= t.value
UNION ALL
SELECT
    'flood' AS scenario,
    c.ip_address AS actor,
    c.window_start,
    c.window_end,
    CASE WHEN c.requests >= 10 * t.value THEN 'critical' ELSE 'high' END AS severity,
    concat(c.requests, ' requests in 1 min, e.g. ', left(c.some_url, 120)) AS evidence
FROM per_minute AS c
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS t ON t.scenario = 'flood' AND t.name = 'requests_per_minute'
WHERE c.requests >= t.value;

-- Account takeover or sharing: successful logins to one account from several addresses in a
-- minute (the account is the actor).
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_account_takeover AS
WITH logins AS (
    SELECT
        username,
        COUNT(*) AS logins,
        COUNT(DISTINCT ip_address) AS addresses,
        MIN(ip_address) AS some_address,
        window_start,
        window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    WHERE username IS NOT NULL AND status_code IN (200, 302)
        AND (user_action = 'login' OR (http_method = 'POST' AND url ~* '(login|signin|sign_in|logon)'))
    GROUP BY username, window_start, window_end
)
SELECT
    'account-takeover' AS scenario,
    l.username AS actor,
    l.window_start,
    l.window_end,
    CASE WHEN l.addresses >= 2 * t.value THEN 'critical' ELSE 'high' END AS severity,
    concat(l.logins, ' successful logins from ', l.addresses, ' addresses in 1 min, e.g. ', l.some_address)
        AS evidence
FROM logins AS l
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS t ON t.scenario = 'account-takeover' AND t.name = 'distinct_ips'
WHERE l.addresses >= t.value;

-- Surges of high security-level events from one address (the site's own logger's judgement).
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_security_surge AS
WITH high AS (
    SELECT ip_address, COUNT(*) AS events, MIN(url) AS some_url, window_start, window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    WHERE security_level = 'high'
    GROUP BY ip_address, window_start, window_end
)
SELECT
    'security-surge' AS scenario,
    h.ip_address AS actor,
    h.window_start,
    h.window_end,
    'medium' AS severity,
    concat(h.events, ' high security-level events in 1 min, e.g. ', left(h.some_url, 120)) AS evidence
FROM high AS h
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS t ON t.scenario = 'security-surge' AND t.name = 'high_events'
WHERE h.events >= t.value;

-- Per endpoint (the path without query, numeric segments as :id) and minute: requests, server
-- errors and median latency.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_endpoint_minutes AS
SELECT
    regexp_replace(regexp_replace(url, '^[A-Za-z]+://[^/]*|[?#].*$', '', 'g'), '/[0-9]+(/|$)', '/:id\1', 'g')
        AS endpoint,
    COUNT(*) AS requests,
    SUM(CASE WHEN status_code >= 500 THEN 1 ELSE 0 END) AS server_errors,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY response_time) AS median_ms,
    window_start AS minute_start,
    window_end AS minute_end
FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
GROUP BY 1, window_start, window_end;

-- Degradation: an endpoint failing or slow against its own trailing ten minutes.
CREATE MATERIALIZED VIEW IF NOT EXISTS detection_degradation AS
WITH baseline AS (
    SELECT endpoint, AVG(median_ms) AS median_ms, window_end
    FROM HOP(detection_endpoint_minutes, minute_start, INTERVAL '60 SECONDS', INTERVAL '600 SECONDS')
    GROUP BY endpoint, window_end
)
SELECT
    'degradation' AS scenario,
    c.endpoint AS actor,
    c.minute_start AS window_start,
    c.minute_end AS window_end,
    CASE WHEN c.server_errors >= 2 * e.value * c.requests THEN 'critical' ELSE 'high' END AS severity,
    concat(c.requests, ' requests in 1 min, ', c.server_errors, ' 5xx, median ', round(c.median_ms), ' ms',
        CASE WHEN b.median_ms IS NULL THEN '' ELSE concat(' (trailing ', round(b.median_ms), ' ms)') END)
        AS evidence
FROM detection_endpoint_minutes AS c
LEFT JOIN baseline AS b ON b.endpoint = c.endpoint AND b.window_end = c.minute_start
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS n ON n.scenario = 'degradation' AND n.name = 'min_requests'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS e ON e.scenario = 'degradation' AND e.name = 'error_rate'
JOIN detection_thresholds FOR SYSTEM_TIME AS OF PROCTIME() AS f ON f.scenario = 'degradation' AND f.name = 'latency_factor'
WHERE c.requests >= n.value
    AND (c.server_errors >= e.value * c.requests OR c.median_ms >= f.value * b.median_ms);

-- Every detection, but those of allow-listed actors.
CREATE MATERIALIZED VIEW IF NOT EXISTS detections AS
WITH everything AS (
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_brute_force
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_credential_stuffing
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_path_scan
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_injection
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_bad_bot
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_flood
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_account_takeover
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_security_surge
    UNION ALL
    SELECT scenario, actor, window_start, window_end, severity, evidence FROM detection_degradation
)
SELECT d.scenario, d.actor, d.window_start, d.window_end, d.severity, d.evidence
FROM everything AS d
LEFT JOIN detection_allowlist AS a ON a.actor = d.actor
WHERE a.actor IS NULL;
