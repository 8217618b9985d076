// The employer's page: paste or drop a credential or passport, see one verdict per skill.
// No build step, no dependencies; it only talks to this service's VC-API endpoints.
"use strict";

const TEXT = {
  en: {
    title: "Check a skills passport",
    intro: "Paste a skill credential or a whole passport, or drop its file here. Every check is made by this service against the published standards; nothing is stored.",
    pasteLabel: "Credential or passport (JSON)",
    dropHint: "Drop a .json file here, or",
    chooseFile: "choose a file",
    verify: "Verify",
    checking: "Checking…",
    notJson: "This is not JSON: {error}",
    notDocument: "This JSON is not a credential or a passport.",
    failed: "The service could not check this document: {detail}",
    resultCredential: "One skill credential",
    resultPassport: "Passport with {count} skill(s): {good} valid",
    holderBound: "The passport is signed by its holder ({holder}).",
    holderUnbound: "The passport is not signed by its holder: it does not show who presents it.",
    holderFailed: "The holder's signature on the passport is not valid: {reason}",
    notAboutHolder: "This credential is not about the passport's holder.",
    verdict: {
      "valid": "Valid",
      "revoked": "Revoked",
      "suspended": "Suspended",
      "expired": "Expired",
      "not-yet-valid": "Not yet valid",
      "not-genuine": "Not genuine",
      "untrusted-issuer": "Untrusted issuer",
      "cannot-check": "Cannot be checked",
      "invalid": "Invalid",
    },
    explain: {
      "valid": "Genuine, unchanged, valid today, not revoked, from a provider known here.",
      "revoked": "The provider has revoked this credential. Do not rely on it.",
      "suspended": "The provider has suspended this credential for now.",
      "expired": "The validity period has ended.",
      "not-yet-valid": "The validity period has not started yet.",
      "not-genuine": "The signature does not match, or was not made with the issuer's own key: the document was altered or not issued by the provider it names.",
      "untrusted-issuer": "Genuine and valid, but the issuer is not a provider known to this service.",
      "cannot-check": "Something needed to check it could not be obtained (see below). It is neither confirmed nor shown false: do not rely on it until it can be checked.",
      "invalid": "The credential does not meet the rules it must follow.",
    },
    skill: "Skill", level: "Level", provider: "Provider", issuedBy: "Issuer",
    validFrom: "Valid from", validUntil: "Valid until", status: "Status",
    statusActive: "active", statusRevoked: "revoked", statusSuspended: "suspended", statusUnknown: "could not be checked", statusNotChecked: "not checked",
    noEnd: "no end date", unknown: "unknown", untrustedNote: "not a provider known here",
    allChecks: "All checks",
    checks: { proof: "Signature", dataModel: "Data model", validityPeriod: "Validity period", status: "Revocation and suspension", credentialSchema: "Schema", issuerTrust: "Issuer known here" },
    outcomes: { "passed": "passed", "failed": "failed", "not-performed": "not performed", "skipped": "skipped" },
  },
  nl: {
    title: "Een vaardighedenpaspoort controleren",
    intro: "Plak een vaardigheidscredential of een heel paspoort, of sleep het bestand hierheen. Deze dienst controleert alles volgens de gepubliceerde standaarden; er wordt niets bewaard.",
    pasteLabel: "Credential of paspoort (JSON)",
    dropHint: "Sleep een .json-bestand hierheen, of",
    chooseFile: "kies een bestand",
    verify: "Controleren",
    checking: "Bezig met controleren…",
    notJson: "Dit is geen JSON: {error}",
    notDocument: "Deze JSON is geen credential en geen paspoort.",
    failed: "De dienst kon dit document niet controleren: {detail}",
    resultCredential: "Eén vaardigheidscredential",
    resultPassport: "Paspoort met {count} vaardigheid/vaardigheden: {good} geldig",
    holderBound: "Het paspoort is ondertekend door de houder ({holder}).",
    holderUnbound: "Het paspoort is niet ondertekend door de houder: het laat niet zien wie het toont.",
    holderFailed: "De handtekening van de houder op het paspoort is niet geldig: {reason}",
    notAboutHolder: "Deze credential gaat niet over de houder van het paspoort.",
    verdict: {
      "valid": "Geldig",
      "revoked": "Ingetrokken",
      "suspended": "Geschorst",
      "expired": "Verlopen",
      "not-yet-valid": "Nog niet geldig",
      "not-genuine": "Niet echt",
      "untrusted-issuer": "Onbekende uitgever",
      "cannot-check": "Niet te controleren",
      "invalid": "Ongeldig",
    },
    explain: {
      "valid": "Echt, ongewijzigd, vandaag geldig, niet ingetrokken, van een aanbieder die hier bekend is.",
      "revoked": "De aanbieder heeft deze credential ingetrokken. Vertrouw er niet op.",
      "suspended": "De aanbieder heeft deze credential voorlopig geschorst.",
      "expired": "De geldigheidsduur is voorbij.",
      "not-yet-valid": "De geldigheidsduur is nog niet begonnen.",
      "not-genuine": "De handtekening klopt niet, of is niet met de eigen sleutel van de uitgever gezet: het document is gewijzigd of niet uitgegeven door de aanbieder die erin staat.",
      "untrusted-issuer": "Echt en geldig, maar de uitgever is geen aanbieder die deze dienst kent.",
      "cannot-check": "Iets wat nodig is om het te controleren kon niet worden verkregen (zie hieronder). Het is niet bevestigd en niet weerlegd: vertrouw er niet op tot het wel te controleren is.",
      "invalid": "De credential voldoet niet aan de regels die ervoor gelden.",
    },
    skill: "Vaardigheid", level: "Niveau", provider: "Aanbieder", issuedBy: "Uitgever",
    validFrom: "Geldig vanaf", validUntil: "Geldig tot", status: "Status",
    statusActive: "actief", statusRevoked: "ingetrokken", statusSuspended: "geschorst", statusUnknown: "kon niet worden gecontroleerd", statusNotChecked: "niet gecontroleerd",
    noEnd: "geen einddatum", unknown: "onbekend", untrustedNote: "geen aanbieder die hier bekend is",
    allChecks: "Alle controles",
    checks: { proof: "Handtekening", dataModel: "Datamodel", validityPeriod: "Geldigheidsduur", status: "Intrekking en schorsing", credentialSchema: "Schema", issuerTrust: "Uitgever hier bekend" },
    outcomes: { "passed": "in orde", "failed": "afgekeurd", "not-performed": "niet uitgevoerd", "skipped": "overgeslagen" },
  },
};

let language = "en";
let lastResult = null;

function t(key, values) {
  const parts = key.split(".");
  let text = parts.reduce((node, part) => (node == null ? undefined : node[part]), TEXT[language]);
  if (text === undefined) text = parts.reduce((node, part) => (node == null ? undefined : node[part]), TEXT.en);
  if (text === undefined) return key;
  return String(text).replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : ""));
}

function setLanguage(next) {
  language = TEXT[next] ? next : "en";
  document.documentElement.lang = language;
  try { localStorage.setItem("skillcred-language", language); } catch (error) { /* private mode */ }
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language));
  }
  document.title = t("title") + " — skillcred";
  if (lastResult) render(lastResult.kind, lastResult.body);
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function formatDate(value) {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleDateString(language === "nl" ? "nl-NL" : "en-GB", { year: "numeric", month: "long", day: "numeric" });
}

function statusText(status) {
  if (!status) return t("statusNotChecked");
  if (status.revoked === "unknown" || status.suspended === "unknown") return t("statusUnknown");
  if (status.revoked === true) return t("statusRevoked");
  if (status.suspended === true) return t("statusSuspended");
  return t("statusActive");
}

function checksList(checks) {
  const list = element("ul", { class: "checks" });
  for (const check of checks || []) {
    const item = element("li", {},
      element("span", {}, (t("checks." + check.check) !== "checks." + check.check ? t("checks." + check.check) : check.check) + ": "),
      element("span", { class: "outcome" }, t("outcomes." + check.outcome)));
    for (const problem of check.problems || []) item.append(element("div", { class: "reason" }, problem.detail));
    list.append(item);
  }
  return list;
}

function skillItem(summary, checks) {
  const verdict = summary.verdict || "invalid";
  const untrusted = summary.trusted === false;
  const provider = summary.provider || summary.providerDid || t("unknown");
  const facts = element("dl", {},
    element("dt", {}, t("level")), element("dd", {}, summary.level || "—"),
    element("dt", {}, t("provider")), element("dd", {}, provider + (untrusted ? " (" + t("untrustedNote") + ")" : "")),
    element("dt", {}, t("issuedBy")), element("dd", { class: "did" }, summary.providerDid || t("unknown")),
    element("dt", {}, t("validFrom")), element("dd", {}, formatDate(summary.validFrom) || t("unknown")),
    element("dt", {}, t("validUntil")), element("dd", {}, formatDate(summary.validUntil) || t("noEnd")),
    element("dt", {}, t("status")), element("dd", {}, statusText(summary.status)));
  const details = element("details", {}, element("summary", {}, t("allChecks")), checksList(checks));
  const item = element("li", { class: "skill", "data-verdict": verdict },
    element("div", { class: "verdict" }, t("verdict." + verdict)),
    element("h3", {}, summary.skill || t("unknown")),
    element("p", { class: "explain" }, t("explain." + verdict)),
    summary.reason && verdict !== "valid" ? element("p", { class: "reason" }, summary.reason) : null,
    summary.subjectIsHolder === false ? element("p", { class: "reason" }, t("notAboutHolder")) : null,
    facts, details);
  return item;
}

function render(kind, body) {
  const section = document.getElementById("result");
  const heading = document.getElementById("result-heading");
  const holder = document.getElementById("holder");
  const skills = document.getElementById("skills");
  skills.replaceChildren();
  holder.textContent = "";
  if (kind === "presentation") {
    const list = body.skills || [];
    const good = list.filter((s) => s.verdict === "valid").length;
    heading.textContent = t("resultPassport", { count: list.length, good });
    const proof = (body.checks || []).find((c) => c.check === "holderProof");
    const binding = (body.checks || []).find((c) => c.check === "holderBinding");
    if (proof && proof.outcome === "failed") {
      holder.textContent = t("holderFailed", { reason: (proof.problems || []).map((p) => p.detail).join("; ") });
    } else if (binding && binding.bound) {
      holder.textContent = t("holderBound", { holder: binding.holder || "" });
    } else {
      holder.textContent = t("holderUnbound");
    }
    (body.credentialResults || []).forEach((result, index) => {
      skills.append(skillItem(list[index] || {}, result.checks));
    });
  } else {
    heading.textContent = t("resultCredential");
    skills.append(skillItem(body.summary || {}, body.checks));
  }
  section.hidden = false;
}

function showMessage(text) {
  document.getElementById("message").textContent = text || "";
}

async function verify(text) {
  showMessage("");
  let document_;
  try {
    document_ = JSON.parse(text);
  } catch (error) {
    showMessage(t("notJson", { error: error.message }));
    return;
  }
  if (!document_ || typeof document_ !== "object" || Array.isArray(document_)) {
    showMessage(t("notDocument"));
    return;
  }
  const types = [].concat(document_.type || []);
  const kind = types.includes("VerifiablePresentation") ? "presentation" : "credential";
  const url = kind === "presentation" ? "presentations/verify" : "credentials/verify";
  const payload = kind === "presentation"
    ? { verifiablePresentation: document_, options: { allowUnsignedPresentation: true } }
    : { verifiableCredential: document_ };
  const button = window.document.getElementById("verify-button");
  button.disabled = true;
  button.textContent = t("checking");
  try {
    const response = await fetch(new URL(url, new URL("/", window.location.href)), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload),
    });
    const body = await response.json();
    if (response.status !== 200 && response.status !== 422) {
      showMessage(t("failed", { detail: body.detail || response.statusText }));
      return;
    }
    lastResult = { kind, body };
    render(kind, body);
    window.document.getElementById("result-heading").focus();
  } catch (error) {
    showMessage(t("failed", { detail: error.message }));
  } finally {
    button.disabled = false;
    button.textContent = t("verify");
  }
}

function readFile(file) {
  const reader = new FileReader();
  reader.onload = () => {
    document.getElementById("document").value = reader.result;
    verify(String(reader.result));
  };
  reader.readAsText(file);
}

document.addEventListener("DOMContentLoaded", () => {
  let saved = null;
  try { saved = localStorage.getItem("skillcred-language"); } catch (error) { /* private mode */ }
  const preferred = saved || ((navigator.language || "en").toLowerCase().startsWith("nl") ? "nl" : "en");
  setLanguage(preferred);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  document.getElementById("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    verify(document.getElementById("document").value);
  });
  document.getElementById("file").addEventListener("change", (event) => {
    if (event.target.files && event.target.files[0]) readFile(event.target.files[0]);
  });
  const zone = document.getElementById("drop-zone");
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) readFile(file);
  });
});
