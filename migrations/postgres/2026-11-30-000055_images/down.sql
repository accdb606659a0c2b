DROP TABLE image_variants;
DROP TABLE images;
