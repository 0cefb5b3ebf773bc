// A button marked data-print opens the browser's print dialog. Without JavaScript the page still
// prints from the browser's menu: the print style sheet does the layout.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
