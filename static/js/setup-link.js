// A set-up link carries its code after "#", which browsers never send to a server. Move it into
// the form field marked data-setup-code, which then needs no attention, and out of the address
// bar, so history, bookmarks and a screenshot do not keep it either. Without JavaScript the
// person pastes the link into that field.
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
