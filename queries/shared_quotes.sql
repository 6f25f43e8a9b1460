-- Quotations that appear in more than one article, with who printed them and when.
SELECT quote_hash,
       any_value(quote) AS quote,
       count(DISTINCT article_id) AS articles,
       list_sort(list(DISTINCT source) FILTER (source IS NOT NULL)) AS outlets,
       list_sort(list(DISTINCT speaker) FILTER (speaker IS NOT NULL)) AS speakers,
       min(published_date) AS first_published,
       list_sort(list(source_path)) AS files
FROM quotes
GROUP BY quote_hash
HAVING count(DISTINCT article_id) > 1
ORDER BY articles DESC, first_published
