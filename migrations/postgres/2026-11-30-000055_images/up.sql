-- Uploaded images, kept in the database so that every instance serves them and a backup
-- holds them. Only re-encoded variants are stored (never the uploaded bytes): decoding
-- and encoding again drops metadata (EXIF, GPS) and anything smuggled beside the pixels.
CREATE TABLE images (
    id SERIAL PRIMARY KEY,
    -- The URL's name: 32 hex digits of SHA-256 over the owner and the uploaded bytes, so
    -- the same file uploaded twice by one member is one image, and URLs never collide.
    url_key TEXT NOT NULL UNIQUE,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 (hex) of the uploaded bytes, to recognise a file reported elsewhere.
    sha256 TEXT NOT NULL,
    -- The stored format: `png` or `jpeg`.
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    -- Bytes stored for all variants: what counts toward the owner's quota.
    bytes INTEGER NOT NULL,
    created_at TIMESTAMP(3) NOT NULL
);
CREATE INDEX images_owner_idx ON images (owner_id, created_at);
CREATE INDEX images_created_idx ON images (created_at);

-- One row per width served (for srcset), each a complete encoded file.
CREATE TABLE image_variants (
    id SERIAL PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    UNIQUE (image_id, width)
);
