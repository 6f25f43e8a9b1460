-- Per story, each article in publication order; rank 1 published first.
-- Articles without a trusted date sort last; a date inferred from the story (confidence
-- >= 0.8) shows date_source = 'inferred:story' and its date_confidence.
SELECT story_id,
       rank() OVER (PARTITION BY story_id ORDER BY published_date NULLS LAST) AS rank,
       published_date, date_source, date_confidence, source, title, source_path
FROM articles
WHERE story_id IN (SELECT story_id FROM stories WHERE article_count > 1)
ORDER BY story_id, rank, source_path
