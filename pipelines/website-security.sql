-- Website security monitoring: the reference pipeline (RisingWave + WarpStream + Grafana),
-- written in RisingWave's dialect so that the same file deploys to a RisingWave cluster.
-- Embedded, `tidewatch start` feeds website_logs_source from its built-in generator.

CREATE SOURCE IF NOT EXISTS website_logs_source (
    request_timestamp TIMESTAMP,
    ip_address VARCHAR,
    user_agent TEXT,
    url TEXT,
    http_method VARCHAR,
    status_code INTEGER,
    response_time INTEGER,
    referrer TEXT,
    user_id VARCHAR,
    username VARCHAR,
    user_action VARCHAR,
    security_level VARCHAR,
    WATERMARK FOR request_timestamp AS request_timestamp - INTERVAL '5 SECONDS'
) WITH (
    connector = 'kafka',
    topic = 'website_logs',
    properties.bootstrap.server = 'localhost:9092',
    scan.startup.mode = 'earliest'
) FORMAT PLAIN ENCODE JSON;

-- Per user and minute: request volume, latency, errors, logins and distinct IPs.
CREATE MATERIALIZED VIEW IF NOT EXISTS website_user_metrics AS
WITH windowed_logs AS (
    SELECT *
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
)
SELECT
    username,
    COUNT(*) AS total_requests,
    MIN(response_time) AS min_response_time,
    MAX(response_time) AS max_response_time,
    AVG(response_time) AS avg_response_time,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY response_time) AS median_response_time,
    SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) AS total_errors,
    SUM(CASE WHEN user_action = 'login' THEN 1 ELSE 0 END) AS login_count,
    SUM(CASE WHEN user_action = 'logout' THEN 1 ELSE 0 END) AS logout_count,
    COUNT(DISTINCT ip_address) AS unique_ips,
    window_start,
    window_end
FROM windowed_logs
GROUP BY username, window_start, window_end;

-- The five most frequent user actions of each minute.
CREATE MATERIALIZED VIEW IF NOT EXISTS top_user_actions AS
WITH ranked_actions AS (
    SELECT
        user_action,
        COUNT(user_action) AS count_user_activity,
        window_start,
        window_end,
        ROW_NUMBER() OVER (
            PARTITION BY window_start, window_end
            ORDER BY COUNT(user_action) DESC
        ) AS rank
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    GROUP BY user_action, window_start, window_end
)
SELECT user_action, count_user_activity, window_start, window_end
FROM ranked_actions
WHERE rank <= 5
ORDER BY window_start, rank;

-- Per referrer and minute: visits and the kinds of interaction they lead to.
CREATE MATERIALIZED VIEW IF NOT EXISTS referrer_activity_summary AS
SELECT
    referrer,
    COUNT(*) AS referrer_visit_count,
    SUM(CASE WHEN user_action IN ('view_page', 'navigate_page') THEN 1 ELSE 0 END) AS page_visits,
    SUM(CASE WHEN user_action IN ('submit_form', 'login', 'logout') THEN 1 ELSE 0 END) AS interactions,
    SUM(CASE WHEN user_action IN ('scroll_page', 'download_file', 'upload_file') THEN 1 ELSE 0 END)
        AS content_interactions,
    SUM(CASE WHEN user_action IN ('close_window', 'open_new_tab') THEN 1 ELSE 0 END) AS window_interactions,
    window_start,
    window_end
FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
GROUP BY referrer, window_start, window_end;

-- Per status code and minute: counts, latency, and the running share within the minute.
CREATE MATERIALIZED VIEW IF NOT EXISTS status_code_analysis_summary AS
WITH status_counts AS (
    SELECT
        status_code,
        COUNT(status_code) AS count_status_code,
        AVG(response_time) AS avg_response_time,
        SUM(COUNT(status_code)) OVER (
            PARTITION BY window_start, window_end
            ORDER BY status_code
        ) AS cumulative_count,
        SUM(COUNT(status_code)) OVER (PARTITION BY window_start, window_end) AS window_total,
        window_start,
        window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    GROUP BY status_code, window_start, window_end
)
SELECT
    status_code,
    count_status_code,
    avg_response_time,
    cumulative_count,
    cumulative_count * 100.0 / window_total AS cumulative_percentage,
    window_start,
    window_end
FROM status_counts
ORDER BY window_start DESC, status_code DESC;

-- Per security level and minute: counts, latency, and the median of the levels' counts.
CREATE MATERIALIZED VIEW IF NOT EXISTS security_level_analysis_summary AS
WITH level_counts AS (
    SELECT
        security_level,
        COUNT(*) AS count_security_level,
        AVG(response_time) AS avg_response_time,
        window_start,
        window_end
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
    GROUP BY security_level, window_start, window_end
),
level_medians AS (
    SELECT
        window_start,
        window_end,
        PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY count_security_level) AS median_count
    FROM level_counts
    GROUP BY window_start, window_end
)
SELECT
    c.security_level,
    c.count_security_level,
    c.avg_response_time,
    m.median_count,
    c.window_start,
    c.window_end
FROM level_counts AS c
JOIN level_medians AS m
    ON c.window_start = m.window_start AND c.window_end = m.window_end
ORDER BY c.window_start DESC, m.median_count DESC;
