// Starts Swagger UI on the API page (portal/api_docs.html). No inline script: the CSP forbids
// it, so the schema URL and the CSRF token come from data attributes.
document.addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("swagger-ui");
  if (!node || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  var csrfToken = node.dataset.csrfToken;
  SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    domNode: node,
    deepLinking: true,
    // "Try it out" runs as the signed-in person: the session cookie, and the CSRF token a
    // session-authenticated write needs.
    requestInterceptor: function (request) {
      request.headers["X-CSRFToken"] = csrfToken;
      return request;
    },
  });
});
