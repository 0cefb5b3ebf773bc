// A field whose input (or picker) is marked data-show-when="name=value" shows only while the radio
// button `name` has that value (the people to name, only when "only the people I name" is chosen).
// Without JavaScript every field shows, and the server ignores the ones that do not apply.
function showWhen(input) {
  const [name, value] = input.dataset.showWhen.split("=");
  const field = input.closest(".field") || input;
  const form = input.closest("form");
  const chosen = form && form.querySelector(`input[name="${name}"]:checked`);
  field.hidden = !chosen || chosen.value !== value;
}

document.querySelectorAll("[data-show-when]").forEach(showWhen);
document.addEventListener("change", (event) => {
  if (!(event.target instanceof HTMLInputElement) || event.target.type !== "radio") return;
  event.target.closest("form")?.querySelectorAll("[data-show-when]").forEach(showWhen);
});
