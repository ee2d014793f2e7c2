// Small enhancements of the plain forms; every page works without this file.
"use strict";

// Unsaved editor text is copied to the tab's sessionStorage, so it survives the end of the
// session and the sign-in that follows. The browser drops the copies when the tab closes,
// and sign-out drops them at once.
const UNSAVED_PREFIX = "caseconsultant.unsaved/";

// One copy per user, draft and version, so a reviewer who signs in later in the same tab
// cannot read it, and text written on one version never lands in the editor of another.
function unsavedKey(user, draftId, version) {
  return `${UNSAVED_PREFIX}${encodeURIComponent(user)}/${draftId}/${version}`;
}

// Storage can be disabled or full, and then the page works as it does without copies.
function readCopy(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeCopy(key, text) {
  try {
    window.sessionStorage.setItem(key, text);
    return true;
  } catch {
    return false;
  }
}

function removeCopy(key) {
  try {
    window.sessionStorage.removeItem(key);
  } catch {
    // Nothing was stored.
  }
}

function copyKeys() {
  try {
    return Object.keys(window.sessionStorage).filter((key) => key.startsWith(UNSAVED_PREFIX));
  } catch {
    return [];
  }
}

// Return the copies of one draft's text as {key, version, text}, newest version first.
function copiesOfDraft(user, draftId) {
  const prefix = unsavedKey(user, draftId, "");
  return copyKeys()
    .filter((key) => key.startsWith(prefix))
    .map((key) => ({ key, version: Number(key.slice(prefix.length)), text: readCopy(key) }))
    .filter((copy) => Number.isInteger(copy.version) && copy.text !== null)
    .sort((first, second) => second.version - first.version);
}

// Show the newest copy written on another version of the draft, read-only, because it
// would overwrite changes made since. Copies whose text was saved are dropped.
function showOlderCopy(reply, savedText, editorVersion) {
  const copies = copiesOfDraft(reply.dataset.user, reply.dataset.draftId)
    .filter((copy) => String(copy.version) !== editorVersion);
  const unsaved = [];
  for (const copy of copies) {
    if (copy.text === savedText) {
      removeCopy(copy.key);
    } else {
      unsaved.push(copy);
    }
  }
  const box = document.getElementById("older-copy");
  if (unsaved.length === 0 || !box) {
    return;
  }
  const copy = unsaved[0];
  document.getElementById("older-copy-version").textContent = String(copy.version);
  document.getElementById("older-copy-text").value = copy.text;
  box.hidden = false;
  document.getElementById("discard-older-copy").addEventListener("click", () => {
    removeCopy(copy.key);
    box.hidden = true;
  });
}

// Return a function to call on each edit. It sends a keep-alive request at most once per
// interval, so the idle limit does not end the session while the reviewer types.
// Reading without typing still lets the session end.
function keepAliveWhileTyping(form, onSessionEnded) {
  const interval = Number(form.dataset.keepaliveSeconds) * 1000;
  const token = form.elements.namedItem("csrf_token").value;
  let lastRequest = Date.now();
  let ended = false;
  return () => {
    if (ended || !(interval > 0) || Date.now() - lastRequest < interval) {
      return;
    }
    lastRequest = Date.now();
    fetch("/api/v1/session/keepalive", {
      method: "POST",
      headers: { "X-CSRF-Token": token },
      credentials: "same-origin",
    }).then((response) => {
      if (response.status === 401) {
        ended = true;
        onSessionEnded();
      }
    }).catch(() => {
      // The server could not be reached, so the next edit after the interval tries again.
    });
  };
}

function setUpEditor(form, editor, reply) {
  // Compare with the stored text, because a page sent back after a failed approval
  // already contains unsaved text.
  const original = editor.dataset.stored ?? editor.value;
  const key = unsavedKey(reply.dataset.user, reply.dataset.draftId, reply.dataset.version);
  let submitting = false;
  let storing = true;

  // Text that the server sent back is newer than any copy. Without it, a copy of this
  // version kept in the tab goes back into the editor, with a notice that it is unsaved.
  const restoredNotice = document.getElementById("restored-notice");
  if (editor.value !== original) {
    storing = writeCopy(key, editor.value);
  } else {
    const copy = readCopy(key);
    if (copy !== null && copy !== original) {
      editor.value = copy;
      restoredNotice.hidden = false;
    } else if (copy !== null) {
      removeCopy(key);
    }
  }
  document.getElementById("discard-restored").addEventListener("click", () => {
    editor.value = original;
    removeCopy(key);
    restoredNotice.hidden = true;
  });

  const reportTyping = keepAliveWhileTyping(form, () => {
    const notice = storing ? "session-ended-kept" : "session-ended-not-kept";
    document.getElementById(notice).hidden = false;
  });
  editor.addEventListener("input", () => {
    if (editor.value === original) {
      removeCopy(key);
    } else {
      storing = writeCopy(key, editor.value);
    }
    reportTyping();
  });

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

  // The copy stays until a page shows the text saved, because the post may still fail,
  // for example when the session has ended.
  form.addEventListener("submit", (event) => {
    const approving = event.submitter && event.submitter.value === "approve";
    if (approving && placeholder && editor.value.includes(placeholder)) {
      event.preventDefault();
      window.alert("Write the answer in place of the placeholder before approving.");
      return;
    }
    submitting = true;
  });
}

// The other forms that keep a copy carry data-copy-key and data-user, and mark the copied
// fields with data-copy. Each field's data-stored is the value that needs no copy, such as
// the saved text or an empty field. One copy per user and key contains the fields as JSON.
function formCopyKey(user, copyKey) {
  return `${UNSAVED_PREFIX}${encodeURIComponent(user)}/${copyKey}`;
}

function fieldValues(fields, read) {
  return Object.fromEntries(fields.map((field) => [field.name, read(field)]));
}

function sameValues(first, second) {
  const names = Object.keys(first);
  return names.length === Object.keys(second).length
    && names.every((name) => first[name] === second[name]);
}

// Return the copied values of the fields, or null when the copy is missing or unreadable.
function readFormCopy(key, fields) {
  const text = readCopy(key);
  if (text === null) {
    return null;
  }
  let copy;
  try {
    copy = JSON.parse(text);
  } catch {
    return null;
  }
  if (copy === null || typeof copy !== "object") {
    return null;
  }
  const valid = fields.every((field) => typeof copy[field.name] === "string");
  return valid ? fieldValues(fields, (field) => copy[field.name]) : null;
}

function setUpFormCopy(form) {
  const fields = Array.from(form.querySelectorAll("[data-copy]"));
  const key = formCopyKey(form.dataset.user, form.dataset.copyKey);
  const stored = fieldValues(fields, (field) => field.dataset.stored ?? "");
  const restoredNotice = form.querySelector("[data-restored-notice]");
  let storing = true;

  // Text that the server sent back is newer than any copy, as in the draft editor.
  const shown = fieldValues(fields, (field) => field.value);
  if (!sameValues(shown, stored)) {
    storing = writeCopy(key, JSON.stringify(shown));
  } else {
    const copy = readFormCopy(key, fields);
    if (copy !== null && !sameValues(copy, stored)) {
      fields.forEach((field) => { field.value = copy[field.name]; });
      restoredNotice.hidden = false;
    } else if (readCopy(key) !== null) {
      removeCopy(key);
    }
  }
  form.querySelector("[data-discard-restored]").addEventListener("click", () => {
    fields.forEach((field) => { field.value = stored[field.name]; });
    removeCopy(key);
    restoredNotice.hidden = true;
  });

  const reportTyping = keepAliveWhileTyping(form, () => {
    const notice = storing ? "kept" : "not-kept";
    form.querySelector(`[data-session-ended="${notice}"]`).hidden = false;
  });
  form.addEventListener("input", () => {
    const typed = fieldValues(fields, (field) => field.value);
    if (sameValues(typed, stored)) {
      removeCopy(key);
    } else {
      storing = writeCopy(key, JSON.stringify(typed));
    }
    reportTyping();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  // Signing out drops the copies, so the next person at this browser cannot read them.
  for (const signOut of document.querySelectorAll("form.signout")) {
    signOut.addEventListener("submit", () => copyKeys().forEach(removeCopy));
  }

  for (const form of document.querySelectorAll("form[data-copy-key]")) {
    setUpFormCopy(form);
  }

  const reply = document.getElementById("reply");
  if (!reply) {
    return;
  }
  // A draft page without a Reject form shows a draft that left review, so a copy of a
  // rejection reason for it is no longer needed.
  if (!reply.querySelector("form.reject")) {
    removeCopy(formCopyKey(reply.dataset.user, `reject/${reply.dataset.draftId}`));
  }
  const editor = document.getElementById("body");
  const form = document.getElementById("edit-form");
  const replyText = document.getElementById("reply-text");
  const savedText = editor ? editor.dataset.stored : replyText && replyText.textContent;
  showOlderCopy(reply, savedText, editor ? reply.dataset.version : null);
  if (editor && form) {
    setUpEditor(form, editor, reply);
  }
});
