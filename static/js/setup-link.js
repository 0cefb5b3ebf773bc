// A set-up link carries its code after "#", which browsers never send to a server. Move it into
// the form field marked data-setup-code, which then needs no attention, and out of the address
// bar, so bookmarks, a screenshot or someone looking over a shoulder see it no longer (the
// browser may still have the opened address in its history: the code works once and briefly).
// Without JavaScript the person pastes the link into that field. Pages about a set-up link that
// show no form (signed in already, dead link) load this too, for the second part.
const codeField = document.querySelector("[data-setup-code]");
const code = window.location.hash.slice(1).trim();
if (codeField instanceof HTMLInputElement && code) {
  codeField.value = code;
  const wrapper = codeField.closest(".field");
  if (wrapper instanceof HTMLElement) wrapper.hidden = true;
}
if (window.location.hash) {
  history.replaceState(null, "", window.location.pathname + window.location.search);
}
