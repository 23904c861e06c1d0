/**
 * The site's only JavaScript: the WebAuthn calls behind the passkey buttons, served as a same-origin asset
 * (`script-src 'self'`, no inline script). Written here rather than bundling @simplewebauthn/browser: it
 * needs two calls and the browsers' own JSON helpers (`PublicKeyCredential.parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON`, `credential.toJSON()`, WebAuthn Level 3). A button with
 * `data-passkey="register"` adds a passkey to the signed-in account; `data-passkey="sign-in"` signs in with
 * one; `data-passkey="form"` (the second sign-in step, re-authentication) asks its `data-passkey-options`
 * path for request options, then puts the assertion JSON in its form's `passkey` field and submits the form,
 * so the server answers with a page as for the form's other fields. Progress and failures go to the nearest
 * `[data-passkey-status]`. Without the script (or without WebAuthn) the buttons stay hidden and the rest of
 * the site works as before.
 */
export const PASSKEY_SCRIPT = `'use strict';
(function () {
  var PKC = window.PublicKeyCredential;
  if (!PKC || typeof PKC.parseCreationOptionsFromJSON !== 'function' || !navigator.credentials) return;
  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : {};
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || 'The request failed.');
          error.code = data.error && data.error.code;
          throw error;
        }
        return data;
      });
    });
  }
  var flows = {
    register: function (button) {
      return post('/api/auth/passkeys/register/options').then(function (options) {
        return navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(options) });
      }).then(function (credential) {
        var body = credential.toJSON();
        var name = document.getElementById('passkey-name');
        if (name && name.value) body.name = name.value;
        return post('/api/auth/passkeys/register', body);
      }).then(function () {
        window.location.assign(button.getAttribute('data-passkey-done') || window.location.pathname);
      });
    },
    'sign-in': function (button) {
      return post('/api/auth/passkeys/login/options').then(function (options) {
        return navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) });
      }).then(function (credential) {
        return post('/api/auth/passkeys/login', credential.toJSON());
      }).then(function () {
        window.location.assign(button.getAttribute('data-passkey-done') || '/');
      });
    },
    form: function (button) {
      var form = button.form;
      var field = form && form.elements.namedItem('passkey');
      if (!field) return Promise.reject(new Error('The page is missing its passkey form.'));
      return post(button.getAttribute('data-passkey-options')).then(function (options) {
        return navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) });
      }).then(function (credential) {
        field.value = JSON.stringify(credential.toJSON());
        form.submit();
        return new Promise(function () {});
      });
    },
  };
  document.querySelectorAll('[data-passkey]').forEach(function (button) {
    var flow = flows[button.getAttribute('data-passkey')];
    if (!flow) return;
    var status = (button.closest('section, .card') || document).querySelector('[data-passkey-status]');
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      if (status) status.textContent = 'Waiting for your passkey…';
      flow(button).catch(function (error) {
        button.disabled = false;
        if (error && error.code === 'reauthentication_required') {
          window.location.assign('/reauth?returnTo=' + encodeURIComponent(window.location.pathname));
          return;
        }
        if (status) {
          status.textContent = error && error.name === 'NotAllowedError'
            ? 'The passkey request was cancelled.'
            : (error && error.message) || 'That did not work. Try again.';
        }
      });
    });
  });
})();
`;
