// Swagger UI over this service's own OpenAPI document, from files this service serves
// (no CDN, no inline script: the page keeps a strict Content-Security-Policy).
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: new URL("/openapi.json", window.location.href).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    // Swagger UI would send the document to validator.swagger.io for a badge.
    validatorUrl: null,
    showExtensions: true,
  });
});
