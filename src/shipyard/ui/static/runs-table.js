/* Runs table: count ticked runs and enable "Compare" for 2 to 10 of them.
 * Without JavaScript the form still submits and the server checks the count.
 */
(function () {
  "use strict";

  var MIN = 2;
  var MAX = 10;

  function setup(form) {
    var boxes = form.querySelectorAll('input[name="runs"]');
    var all = form.querySelector("[data-select-all]");
    var button = form.querySelector("[data-compare-button]");
    var count = form.querySelector("[data-compare-count]");
    var hint = form.querySelector("[data-compare-hint]");

    function update() {
      var n = 0;
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].checked) n++;
        boxes[i].closest("tr").classList.toggle("selected", boxes[i].checked);
      }
      var ok = n >= MIN && n <= MAX;
      button.disabled = !ok;
      count.textContent = n ? " (" + n + ")" : "";
      if (hint) {
        hint.textContent =
          n > MAX ? "At most " + MAX + " runs can be compared" : "Tick " + MIN + "–" + MAX + " runs to compare them";
        hint.classList.toggle("warn", n > MAX);
      }
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    }

    form.addEventListener("change", function (event) {
      if (event.target === all) {
        for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
      }
      update();
    });
    update();
  }

  var forms = document.querySelectorAll("[data-compare-form]");
  for (var i = 0; i < forms.length; i++) setup(forms[i]);
})();
