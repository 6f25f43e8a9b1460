-- Stories covered by more than one article, widest coverage first.
SELECT story_id, title, first_published, last_published, article_count, outlets
FROM stories
WHERE article_count > 1
ORDER BY len(outlets) DESC, article_count DESC, first_published
