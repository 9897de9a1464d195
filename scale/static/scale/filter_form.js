// The browsable API's filter form: a blank box is no value, so it is not sent (the API
// answers an empty value with a 400). A disabled field is left out of the request.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.closest || !form.closest("#filtersModal")) {
    return;
  }
  form.querySelectorAll("input[type=text]").forEach(function (input) {
    if (input.value === "") {
      input.disabled = true;
    }
  });
});
