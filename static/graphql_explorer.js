// The GraphQL explorer (templates/pages/graphql_explorer.html): runs the form's query
// against /api/graphql and shows the answer. Progressive enhancement: without this
// script the page still shows the schema.
(function () {
  "use strict";
  var form = document.querySelector("[data-graphql-explorer]");
  if (!form) return;
  var query = form.querySelector("[data-graphql-query]");
  var variables = form.querySelector("[data-graphql-variables]");
  var token = form.querySelector("[data-graphql-token]");
  var run = form.querySelector("[data-graphql-run]");
  var note = form.querySelector("[data-graphql-nojs]");
  var result = document.querySelector("[data-graphql-result]");
  run.hidden = false;
  if (note) note.hidden = true;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var vars = {};
    try {
      vars = variables.value.trim() ? JSON.parse(variables.value) : {};
    } catch (e) {
      result.textContent = "Variables are not valid JSON: " + e.message;
      return;
    }
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (token.value.trim()) headers.Authorization = "Token " + token.value.trim();
    run.disabled = true;
    result.textContent = "…";
    fetch("/api/graphql", {
      method: "POST",
      headers: headers,
      credentials: "omit",
      body: JSON.stringify({ query: query.value, variables: vars })
    })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        try {
          result.textContent = JSON.stringify(JSON.parse(text), null, 2);
        } catch (e) {
          result.textContent = text;
        }
      })
      .catch(function (e) { result.textContent = "Request failed: " + e.message; })
      .then(function () { run.disabled = false; });
  });
})();
