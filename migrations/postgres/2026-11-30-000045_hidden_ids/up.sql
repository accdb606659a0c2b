-- Searches leave hidden articles out by id, without reading article rows (wide, with
-- their bodies): the few hidden ids are an index of their own.
CREATE INDEX articles_hidden_idx ON articles (id) WHERE hidden;
