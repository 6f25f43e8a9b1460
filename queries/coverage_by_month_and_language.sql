-- Articles per month and language; exact duplicates count once.
SELECT date_trunc('month', published_date)::DATE AS month, language,
       count(*) FILTER (duplicate_of IS NULL) AS articles,
       count(DISTINCT story_id) AS stories
FROM articles
WHERE published_date IS NOT NULL
GROUP BY ALL
ORDER BY month, articles DESC
