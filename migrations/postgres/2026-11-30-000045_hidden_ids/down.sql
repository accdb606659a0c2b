DROP INDEX articles_hidden_idx;
