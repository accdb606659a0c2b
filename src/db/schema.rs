//! The portable schema, kept by hand for both backends (only integers, text, bool and
//! naive UTC timestamps, which both map the same way).

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        bio -> Nullable<Text>,
        image -> Nullable<Text>,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        failed_logins -> Integer,
        last_failed_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    articles (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        description -> Text,
        body -> Text,
        author_id -> Integer,
        favorites_count -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
    }
}

diesel::table! {
    article_tags (article_id, tag_id) {
        article_id -> Integer,
        tag_id -> Integer,
    }
}

diesel::table! {
    favorites (user_id, article_id) {
        user_id -> Integer,
        article_id -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    follows (follower_id, followee_id) {
        follower_id -> Integer,
        followee_id -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comments (id) {
        id -> Integer,
        body -> Text,
        article_id -> Integer,
        author_id -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(articles -> users (author_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_tags -> tags (tag_id));
diesel::joinable!(favorites -> articles (article_id));
diesel::joinable!(favorites -> users (user_id));
diesel::joinable!(comments -> articles (article_id));
diesel::joinable!(comments -> users (author_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    articles,
    tags,
    article_tags,
    favorites,
    follows,
    comments,
);
