// Conduit's only script. The site works without it; it adds small things: the
// `window.__conduit_debug__` hook read by end-to-end tests, tag pills in the editor and
// a confirmation dialog before destructive forms. State comes from attributes the
// server rendered on <body>.
(function () {
  'use strict';

  function currentUser() {
    var raw = document.body && document.body.getAttribute('data-current-user');
    if (!raw) return null;
    try {
      var user = JSON.parse(raw);
      return {
        username: user.username,
        email: user.email,
        bio: user.bio === undefined ? null : user.bio,
        image: user.image === undefined ? null : user.image,
        token: null,
      };
    } catch (e) {
      return null;
    }
  }

  window.__conduit_debug__ = {
    // Sessions live in an HttpOnly cookie: no token is ever visible to scripts.
    getToken: function () { return null; },
    getAuthState: function () {
      var state = document.body && document.body.getAttribute('data-auth-state');
      return state === 'authenticated' ? 'authenticated' : 'unauthenticated';
    },
    getCurrentUser: currentUser,
  };

  // Editor: typing a tag then Enter or a comma adds a removable pill instead of
  // submitting the form. The typed text stays in a hidden field named `tags`.
  function enhanceTagInput(input) {
    var hidden = document.createElement('input');
    hidden.type = 'hidden';
    hidden.name = input.name;
    input.removeAttribute('name');
    input.parentNode.insertBefore(hidden, input);
    // As in the reference editor: a .tag-list of .tag-pill spans, each with an <i> that
    // removes it (a keyboard can reach and press it too).
    var pills = document.createElement('div');
    pills.className = 'tag-list tag-editor-pills';
    pills.setAttribute('aria-label', 'Tags added');
    input.parentNode.appendChild(pills);
    var tags = [];

    function remove(tag) {
      var i = tags.indexOf(tag);
      if (i !== -1) tags.splice(i, 1);
      sync();
      input.focus();
    }

    function sync() {
      hidden.value = tags.join(',');
      pills.textContent = '';
      tags.forEach(function (tag) {
        var pill = document.createElement('span');
        pill.className = 'tag-default tag-pill';
        var close = document.createElement('i');
        close.className = 'ion-close-round';
        close.setAttribute('role', 'button');
        close.setAttribute('tabindex', '0');
        close.setAttribute('aria-label', 'Remove tag ' + tag);
        close.addEventListener('click', function () { remove(tag); });
        close.addEventListener('keydown', function (event) {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            remove(tag);
          }
        });
        pill.appendChild(close);
        pill.appendChild(document.createTextNode(' ' + tag));
        pills.appendChild(pill);
      });
    }

    function add(text) {
      text.split(/[,\s]+/).forEach(function (tag) {
        if (tag && tags.indexOf(tag) === -1) tags.push(tag);
      });
      sync();
    }

    add(input.value);
    input.value = '';
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ',') {
        event.preventDefault();
        add(input.value);
        input.value = '';
      } else if (event.key === 'Backspace' && input.value === '' && tags.length) {
        tags.pop();
        sync();
      }
    });
    input.form.addEventListener('submit', function () {
      add(input.value);
      input.value = '';
    });
  }

  document.querySelectorAll('input[data-tag-input]').forEach(enhanceTagInput);

  // Destructive forms: without a script the server shows a confirmation page; with one,
  // a native dialog asks, and the form goes out already confirmed.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) {
        event.preventDefault();
        return;
      }
      if (!form.querySelector('input[name="confirm"]')) {
        var confirmed = document.createElement('input');
        confirmed.type = 'hidden';
        confirmed.name = 'confirm';
        confirmed.value = 'yes';
        form.appendChild(confirmed);
      }
    });
  });
})();
