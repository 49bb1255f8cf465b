-- Every region and unit has a name in English and in Chinese (either may be missing); `name` stays the
-- name in the default language (English, else Chinese, else the code) for whatever reads it alone.
ALTER TABLE regions ADD COLUMN name_en VARCHAR;
ALTER TABLE regions ADD COLUMN name_zh VARCHAR;
ALTER TABLE units ADD COLUMN name_en VARCHAR;
ALTER TABLE units ADD COLUMN name_zh VARCHAR;
UPDATE regions SET name_en = name;
UPDATE units SET name_en = name;
