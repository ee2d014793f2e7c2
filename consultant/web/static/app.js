// Small enhancements of the plain forms; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const editor = document.getElementById("body");
  const form = document.getElementById("edit-form");
  if (!editor || !form) {
    return;
  }
  // Compare with the stored text, because a page sent back after a failed approval
  // already contains unsaved text.
  const original = editor.dataset.stored ?? editor.value;
  let submitting = false;

  // Warn before leaving the page with unsaved edits.
  window.addEventListener("beforeunload", (event) => {
    if (!submitting && editor.value !== original) {
      event.preventDefault();
    }
  });

  // Select the placeholder text so the reviewer can type over it straight away.
  const placeholder = editor.dataset.placeholder;
  const start = placeholder ? editor.value.indexOf(placeholder) : -1;
  if (start >= 0) {
    editor.focus();
    editor.setSelectionRange(start, start + placeholder.length);
  }

  form.addEventListener("submit", (event) => {
    const approving = event.submitter && event.submitter.value === "approve";
    if (approving && placeholder && editor.value.includes(placeholder)) {
      event.preventDefault();
      window.alert("Write the answer in place of the placeholder before approving.");
      return;
    }
    submitting = true;
  });
});
