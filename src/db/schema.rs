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
        suspended_at -> Nullable<Timestamp>,
        suspended_until -> Nullable<Timestamp>,
        suspension_reason -> Nullable<Text>,
        password_reset_required -> Bool,
        username_key -> Nullable<Text>,
        token_generation -> Integer,
        email_verified_at -> Nullable<Timestamp>,
        two_factor_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_verifications (id) {
        id -> Integer,
        user_id -> Integer,
        email -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Integer,
        user_id -> Integer,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        user_id -> Integer,
        key_hash -> Text,
        device_hash -> Text,
        user_agent -> Text,
        ip -> Nullable<Text>,
        persistent -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> Integer,
        secret -> Text,
        last_step -> BigInt,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    access_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        token_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    site_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
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
        hidden -> Bool,
        featured_at -> Nullable<Timestamp>,
        draft -> Bool,
        publish_at -> Nullable<Timestamp>,
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
        hidden -> Bool,
    }
}

diesel::table! {
    article_revisions (id) {
        id -> Integer,
        article_id -> Integer,
        number -> Integer,
        editor_id -> Integer,
        created_at -> Timestamp,
        title -> Text,
        description -> Text,
        body -> Text,
        tags -> Text,
        added_lines -> Integer,
        removed_lines -> Integer,
    }
}

diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(article_revisions -> users (editor_id));
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
    article_revisions,
);

diesel::table! {
    reports (id) {
        id -> Integer,
        reporter_id -> Integer,
        target_kind -> Text,
        target_id -> Integer,
        target_label -> Text,
        reason -> Text,
        status -> Text,
        resolution_action -> Nullable<Text>,
        resolution_note -> Nullable<Text>,
        resolved_by -> Nullable<Integer>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        actor_id -> Nullable<Integer>,
        actor_name -> Nullable<Text>,
        action -> Text,
        target_kind -> Nullable<Text>,
        target_id -> Nullable<Integer>,
        target_label -> Nullable<Text>,
        before_summary -> Nullable<Text>,
        after_summary -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(reports, users);

diesel::table! {
    jobs (id) {
        id -> Integer,
        kind -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        coalesce_key -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Integer,
        user_id -> Integer,
        kind -> Text,
        actor_id -> Integer,
        article_id -> Nullable<Integer>,
        subject -> Nullable<Text>,
        detail -> Nullable<Text>,
        reason -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        emailed -> Bool,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        email_job -> Nullable<Integer>,
        mailed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_settings (user_id) {
        user_id -> Integer,
        on_article -> Bool,
        on_comment -> Bool,
        on_follower -> Bool,
        on_favorite -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Integer,
        user_id -> Integer,
        url -> Text,
        secret -> Text,
        events -> Text,
        site_wide -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Integer,
        webhook_id -> Integer,
        event -> Text,
        source_key -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        response_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Integer,
        idem_key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

// Only the pairs that are joined (the core tables already have theirs above).
diesel::allow_tables_to_appear_in_same_query!(notifications, email_settings);
// What a notification's email needs, in one statement (`notifications::for_emails`).
diesel::allow_tables_to_appear_in_same_query!(notifications, users);
diesel::allow_tables_to_appear_in_same_query!(notifications, articles);
diesel::allow_tables_to_appear_in_same_query!(email_settings, users);
diesel::allow_tables_to_appear_in_same_query!(email_settings, articles);
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhooks);

diesel::table! {
    /// SQLite only: invalidations for the server to read (see `cache::broadcast`).
    cache_events (id) {
        id -> Integer,
        origin -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Uploaded images (see `domain::images`).
    images (id) {
        id -> Integer,
        url_key -> Text,
        owner_id -> Integer,
        sha256 -> Text,
        format -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The encoded widths of each image.
    image_variants (id) {
        id -> Integer,
        image_id -> Integer,
        width -> Integer,
        height -> Integer,
        content_type -> Text,
        data -> Binary,
    }
}

diesel::joinable!(image_variants -> images (image_id));
diesel::joinable!(images -> users (owner_id));
diesel::allow_tables_to_appear_in_same_query!(image_variants, images);
diesel::allow_tables_to_appear_in_same_query!(images, users);
