// Live updates of the open page, by server-sent events from GET /live: new and deleted
// comments on an article, the bell's unread count, and a "new articles" bar on the
// Global Feed. Pure enhancement: without this script every page is the same, only
// updated on reload. The server sends comment cards already rendered (the article
// page's own partial), escaped, so they are inserted as they come.
(function () {
  'use strict';
  if (!window.EventSource || !document.body) return;

  var source = null;

  function commentId(card) {
    return Number(card.id.slice('comment-'.length));
  }

  function cards(section) {
    return section.querySelectorAll('.card[id^="comment-"]');
  }

  // Cards stay in id order (oldest first), as the page renders them.
  function insertComment(section, id, html) {
    if (document.getElementById('comment-' + id)) return;
    var template = document.createElement('template');
    template.innerHTML = html.trim();
    var card = template.content.firstElementChild;
    if (!card) return;
    var all = cards(section);
    for (var i = 0; i < all.length; i++) {
      if (commentId(all[i]) > id) {
        section.insertBefore(card, all[i]);
        return;
      }
    }
    section.appendChild(card);
  }

  function removeComment(id) {
    var card = document.getElementById('comment-' + id);
    if (card) card.remove();
  }

  function showUnread(count) {
    var bell = document.querySelector('a.nav-bell');
    if (!bell) return;
    var badge = bell.querySelector('.bell-count');
    if (count > 0) {
      if (!badge) {
        badge = document.createElement('span');
        badge.className = 'bell-count';
        badge.setAttribute('data-testid', 'unread-count');
        bell.appendChild(badge);
      }
      badge.textContent = String(count);
      bell.setAttribute('aria-label', 'Notifications (' + count + ' unread)');
    } else {
      if (badge) badge.remove();
      bell.setAttribute('aria-label', 'Notifications');
    }
  }

  function showNewArticles(bar, count, more) {
    if (count > 0) {
      bar.textContent = count + (more ? '+' : '') + (count === 1 && !more ? ' new article' : ' new articles');
      bar.hidden = false;
    } else {
      bar.hidden = true;
    }
  }

  // The bar loads the Global Feed again in place (it is a plain link to it as well).
  function loadNewArticles(event) {
    event.preventDefault();
    fetch('/', { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('section.feed');
        var current = document.querySelector('section.feed');
        if (!fresh || !current) throw new Error('no feed');
        current.replaceWith(document.adoptNode(fresh));
        connect();
      })
      .catch(function () {
        window.location.href = '/';
      });
  }

  function connect() {
    if (source) source.close();
    source = null;
    var thread = document.querySelector('[data-live-article]');
    var feed = document.querySelector('[data-live-feed]');
    var signedIn = document.body.getAttribute('data-auth-state') === 'authenticated';
    var query = [];
    if (thread) {
      query.push('article=' + encodeURIComponent(thread.getAttribute('data-live-article')));
      query.push('after=' + encodeURIComponent(thread.getAttribute('data-live-after') || '0'));
    } else if (feed) {
      query.push('feed=global');
      query.push('newest=' + encodeURIComponent(feed.getAttribute('data-live-newest') || '0'));
    } else if (!signedIn) {
      return;
    }
    source = new EventSource('/live' + (query.length ? '?' + query.join('&') : ''));
    var bar = feed && feed.querySelector('.new-articles-bar');
    if (bar) bar.addEventListener('click', loadNewArticles);

    source.addEventListener('comment', function (event) {
      var data = JSON.parse(event.data);
      if (thread) insertComment(thread, data.id, data.html);
    });
    source.addEventListener('comment-removed', function (event) {
      removeComment(JSON.parse(event.data).id);
    });
    // Every comment the reader may see now: any other card was deleted meanwhile.
    source.addEventListener('comments', function (event) {
      if (!thread) return;
      var visible = {};
      JSON.parse(event.data).forEach(function (id) { visible[id] = true; });
      Array.prototype.forEach.call(cards(thread), function (card) {
        if (!visible[commentId(card)]) card.remove();
      });
    });
    source.addEventListener('gone', function () {
      source.close();
    });
    source.addEventListener('unread', function (event) {
      showUnread(JSON.parse(event.data).count);
    });
    source.addEventListener('articles', function (event) {
      var data = JSON.parse(event.data);
      if (bar) showNewArticles(bar, data.count, data.more);
    });
  }

  connect();
})();
