// A picker (see safespaces/pickers.py) asks the server for matches as one types, and on "Find",
// instead of sending the whole form. What is typed goes in the body of a POST, never in the
// address, so it reaches no access log and no browser history. Without JavaScript, "Find"
// sends the form and the page comes back with everything typed and the matches.
const WAIT_MS = 250;

function statusOf(picker, text) {
  const status = picker.querySelector("[data-picker-status]");
  if (status) status.textContent = text;
}

// A match that was ticked or chosen moves up among the chosen, so a new search keeps it.
function keepChosen(picker) {
  const chosen = picker.querySelector(".picker-chosen");
  picker.querySelectorAll(".picker-matches input:checked").forEach((input) => {
    chosen.append(input.closest("label"));
  });
}

async function search(picker, everything) {
  const box = picker.querySelector(".picker-find input");
  const matches = picker.querySelector(".picker-matches");
  const query = box.value.trim();
  keepChosen(picker);
  const asked = (picker.pickerAsked = (picker.pickerAsked || 0) + 1);
  if (!query && !everything) {
    matches.replaceChildren();
    statusOf(picker, "");
    return;
  }
  // The box's own form: in a filter (a GET form) the box belongs to a POST form of its own,
  // which holds the token.
  const form = box.form;
  const body = new FormData();
  body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
  body.append("name", picker.dataset.pickerName);
  body.append("q", query);
  if ("pickerMultiple" in picker.dataset) body.append("multiple", "1");
  picker.querySelectorAll(".picker-chosen input").forEach((input) => {
    if (input.value) body.append("chosen", input.value);
  });
  let response;
  try {
    response = await fetch(picker.dataset.picker, {
      method: "POST", body, credentials: "same-origin", redirect: "error",
    });
  } catch {
    response = null;
  }
  if (asked !== picker.pickerAsked) return; // a later search has been asked for
  if (!response || !response.ok) {
    // Offline, or signed out meanwhile: "Find" still sends the form, which keeps a draft.
    picker.dataset.pickerOffline = "";
    statusOf(picker, picker.dataset.pickerFailed || "");
    return;
  }
  keepChosen(picker);
  matches.innerHTML = await response.text();
  const said = matches.querySelector(".picker-status");
  statusOf(picker, said ? said.textContent : "");
}

document.querySelectorAll("[data-picker]").forEach((picker) => {
  const box = picker.querySelector(".picker-find input");
  const find = picker.querySelector(".picker-find button");
  let timer = 0;
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(picker, false), WAIT_MS);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter here searches; it does not send the report
    clearTimeout(timer);
    search(picker, true);
  });
  find.addEventListener("click", (event) => {
    if ("pickerOffline" in picker.dataset) return; // let the form go, as without JavaScript
    event.preventDefault();
    clearTimeout(timer);
    search(picker, true);
  });
});
