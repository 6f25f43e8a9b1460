-- Per story, each article in publication order; rank 1 published first.
-- Articles without a date sort last; inferred dates are marked by date_source.
SELECT story_id,
       rank() OVER (PARTITION BY story_id ORDER BY published_date NULLS LAST) AS rank,
       published_date, date_source, source, title, source_path
FROM articles
WHERE story_id IN (SELECT story_id FROM stories WHERE article_count > 1)
ORDER BY story_id, rank, source_path
