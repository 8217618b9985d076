// The employer's page: open or paste a skill credential or a passport, see one verdict per
// skill, built for a decision: the verdict and one plain sentence first, then whose skill,
// what, how it was assessed, who says so and until when. What a document that is not
// genuine claims is never shown as fact: only struck through, under "what the document
// claims (not trustworthy)".
//
// No build step, no dependencies; it only talks to this service's VC-API endpoints.
// Reasons from the server are translated by their problem code (REASONS below), never by
// their English text; an unknown code shows the server's English detail.
"use strict";

const TEXT = {
  en: {
    title: "Check a skills passport",
    askHeading: "Ask the worker's wallet",
    askIntro: "The worker scans a code with their wallet app and shares the skills asked for. Their wallet signs for this request only, so you know the skills are theirs and shown now.",
    askPurposeLabel: "What for (shown in the wallet; optional)",
    askButton: "Ask the worker's wallet",
    askFormatLabel: "Which wallets",
    askFormatLdp: "Open Badges (ldp_vc): Learner Credential Wallet, Credo wallets",
    askFormatSdJwt: "SD-JWT VC (dc+sd-jwt): EU wallets such as the NL Wallet; only the details ticked below",
    askClaimsLegend: "Details to ask for (SD-JWT VC)",
    claimSkill: "Skill",
    claimLevel: "Level",
    claimMethod: "How it was assessed",
    claimDate: "When it was assessed",
    claimName: "The worker's name",
    qrOpenid4vp: "EU digital identity wallets, Paradym and other Credo wallets, Sphereon",
    qrVcapi: "Learner Credential Wallet (Digital Credentials Consortium)",
    openOnThisDevice: "open on this device",
    qrOpenid4vpAlt: "QR code for OpenID4VP wallets",
    qrVcapiAlt: "QR code for the Learner Credential Wallet",
    askWaiting: "Waiting for the worker's wallet… The codes can be used once, until {when}.",
    askVerifying: "The wallet answered; checking…",
    askExpired: "The request expired before the wallet answered. Ask again.",
    askFailed: "The request could not be made: {detail}",
    presentedNow: "Presented by its holder just now",
    presentedNotByHolder: "Not shown by its holder for this request: {reason}",
    reportTitle: "Skills verification report",
    languages: "Language",
    inputHeading: "Check a document",
    intro: "Open the passport or skill file the worker gave you (a .json file), or paste its text. The check is made by this service against the published standards; nothing is stored.",
    chooseFile: "Choose the file",
    dropHint: "or drop it here",
    pasteSummary: "Paste the file's text",
    pasteLabel: "The file's text (JSON)",
    verify: "Check",
    checking: "Checking…",
    print: "Print the report",
    again: "Check another document",
    home: "About this service",
    apiDocs: "API documentation",
    notJson: "This is not the text of a passport file (it is not JSON): {error}",
    notDocument: "This file is not a skill credential or a passport.",
    failed: "The service could not check this document: {detail}",
    resultCredential: "Result of the check",
    resultPassport: "Passport: {skills}",
    resultPassportOf: "Passport of {name}: {skills}",
    checkedAt: "Checked on {when} by the verification service at {service}.",
    skills: { one: "{n} skill", other: "{n} skills" },
    allValid: { one: "{skills}: valid.", other: "{skills}: all valid." },
    mixed: "{skills}: {counts} — do not rely on: {items}.",
    documentNumber: "document {n}",
    noSkills: "The passport holds no skills.",
    countsLabel: "Verdicts",
    listSeparator: ", ",
    holderBound: "Signed by the worker's wallet for this check.",
    holderBoundNotNow: "Signed by the worker's wallet, but not for this check: anyone with a copy of the file could show it. If you need to be sure it is the worker, ask their wallet for the passport on the spot.",
    holderUnbound: "Not signed by the worker: anyone with a copy of the file could show it. Check who the worker is yourself (the name below against an ID, or their e-mail address).",
    holderFailed: "The worker's signature on the passport is not valid: the passport may have been put together by someone else.",
    namesDiffer: "The skills name different people: {names}.",
    passportInvalid: "This passport is not made the way a passport must be, so it cannot be checked.",
    notAboutHolder: "This skill is about someone other than the worker who signed the passport.",
    verdict: {
      "valid": "Valid",
      "untrusted-issuer": "Unknown issuer",
      "revoked": "Revoked",
      "suspended": "Suspended",
      "expired": "Expired",
      "not-yet-valid": "Not yet valid",
      "not-genuine": "Not genuine",
      "cannot-check": "Cannot be checked",
      "invalid": "Invalid",
    },
    sentence: {
      "valid": "You can rely on this: issued by {provider}, unchanged, valid today, and not withdrawn or suspended.",
      "untrusted-issuer": "Do not rely on this unless you know the issuer yourself: the document is intact, but whoever issued it is not known to this service, and anyone can make such a document.",
      "revoked": "Do not rely on this: {provider} has withdrawn it for good.",
      "suspended": "Do not rely on this for now: {provider} has suspended it.",
      "suspendedBecause": "Do not rely on this for now: {provider} has suspended it — {reason}.",
      "expired": "Do not rely on this: it was valid until {date}.",
      "not-yet-valid": "Not yet: it is valid from {date}.",
      "not-genuine": "Do not rely on this: the document was changed after it was signed, or it was not signed by the issuer it names. Nothing in it can be trusted.",
      "cannot-check": "Not confirmed, not disproved: this service could not get everything it needs to check it. Do not rely on it until it can be checked.",
      "invalid": "Do not rely on this: the document is not made the way a skill credential must be, so it cannot be checked.",
    },
    theIssuer: "the issuer",
    reasonsLabel: "Why",
    adviceLabel: "What you can do",
    advice: {
      "not-genuine": "Ask the worker for the original file they received from the training provider, or ask the provider to confirm the skill.",
      "cannot-check": "Try again later. If it keeps failing, ask the training provider to confirm the skill.",
      "invalid": "Ask the worker for the original file they received from the training provider.",
      "untrusted-issuer": "Find out who issued it before you rely on it, or ask the worker for a credential from a recognised training provider.",
    },
    section: { who: "Whose skill", what: "What", how: "How it was assessed", says: "Who says so", until: "Until when", shared: "What the worker shared" },
    sharedNote: "Asked for: {claims}. The worker's wallet showed these (SD-JWT VC); the rest of the credential stays hidden.",
    disclosedNote: "An SD-JWT VC: besides what it always shows, its holder chose to show {claims}; the rest stays hidden.",
    nothingMore: "nothing more",
    notShared: "not shared",
    holderName: "Name",
    holderNone: "No name is given in the document.",
    holderKeyOnly: "Identified only by a wallet key, not by name.",
    holderKeyPassport: "The same wallet key signed the passport.",
    emailLabel: "E-mail address",
    emailProtected: "Given as a protected e-mail address. Ask the worker for their e-mail address and check it here:",
    emailProtectedShort: "A protected e-mail address.",
    emailField: "The worker's e-mail address",
    emailCheck: "Check the address",
    emailMatch: "✓ This is the address it was issued to.",
    emailNoMatch: "✗ Not this address. Check the spelling, or ask for the address the worker gave the training provider.",
    emailEmpty: "Type the address first.",
    emailUnavailable: "This check needs the page to be opened over https.",
    emailPlain: "E-mail address",
    skill: "Skill",
    level: "Level",
    levelEqf: "{level} — EQF level {eqf}",
    safety: "Safety",
    safetyCertificate: "Safety certificate",
    safetyCritical: "Safety-critical skill",
    safetyNo: "Not a safety certificate",
    framework: "Framework",
    assessedOn: "Assessed on",
    method: "Method",
    methods: {
      "practical": "practical test",
      "written": "written exam",
      "oral": "oral exam",
      "observation": "observation at work",
      "portfolio": "portfolio",
      "simulation": "simulation",
      "recognition-of-prior-learning": "recognition of prior learning",
    },
    assessor: "Assessor",
    assessingBody: "Assessing body",
    whatWasDone: "What was done",
    evidence: "Evidence",
    notStated: "not stated",
    provider: "Training provider",
    basis: "Known to this service",
    trust: {
      "registered": "Registered with this service.",
      "registered-earlier-key": "Registered with this service (signed with an earlier key of theirs).",
      "trust-list": "On the trust list of this service.",
      "trust-list-named": "On the trust list “{list}”.",
      "unknown": "No. It calls itself “{name}”, but that name is not verified: it is not a provider known to this service.",
      "unknownNameless": "No: not a provider known to this service.",
    },
    validUntil: "Valid until",
    noEnd: "no end date",
    issuedOn: "Issued on",
    status: "Withdrawn or suspended",
    statusActive: "Neither (checked just now).",
    statusRevoked: "Withdrawn for good.",
    statusSuspended: "Suspended.",
    statusSuspendedBecause: "Suspended — reason given: {reason}.",
    statusUnknown: "Could not be checked.",
    statusNotRevocable: "It names no list through which it could be withdrawn.",
    claimsUntrusted: "What the document claims (not trustworthy)",
    claimsUnconfirmed: "What the document says (not confirmed)",
    claimsUnvouched: "What the unknown issuer states (not vouched for by anyone this service knows)",
    issuerId: "Issuer's identifier",
    credentialId: "Document identifier",
    technical: "Technical details",
    serverDetail: "Service's detail",
    checks: {
      "proof": "Signature",
      "dataModel": "Structure of the document",
      "validityPeriod": "Validity dates",
      "status": "Withdrawn or suspended",
      "credentialSchema": "Required contents",
      "issuerTrust": "Issuer known here",
      "holderProof": "Worker's signature on the passport",
      "holderBinding": "Shown by the worker",
      "credentials": "Skills in the passport",
    },
    outcomes: { "passed": "OK", "failed": "failed", "not-performed": "could not be checked", "skipped": "skipped" },
  },
  nl: {
    askHeading: "Vraag het de wallet van de medewerker",
    askIntro: "De medewerker scant een code met de wallet-app en deelt de gevraagde vaardigheden. De wallet ondertekent alleen voor dit verzoek, dus u weet dat de vaardigheden van hem of haar zijn en nu getoond worden.",
    askPurposeLabel: "Waarvoor (getoond in de wallet; optioneel)",
    askButton: "Vraag het de wallet van de medewerker",
    askFormatLabel: "Welke wallets",
    askFormatLdp: "Open Badges (ldp_vc): Learner Credential Wallet, Credo-wallets",
    askFormatSdJwt: "SD-JWT VC (dc+sd-jwt): Europese wallets zoals de NL Wallet; alleen de aangevinkte gegevens",
    askClaimsLegend: "Te vragen gegevens (SD-JWT VC)",
    claimSkill: "Vaardigheid",
    claimLevel: "Niveau",
    claimMethod: "Hoe beoordeeld",
    claimDate: "Wanneer beoordeeld",
    claimName: "Naam van de medewerker",
    qrOpenid4vp: "EU digitale identiteitswallets, Paradym en andere Credo-wallets, Sphereon",
    qrVcapi: "Learner Credential Wallet (Digital Credentials Consortium)",
    openOnThisDevice: "op dit apparaat openen",
    qrOpenid4vpAlt: "QR-code voor OpenID4VP-wallets",
    qrVcapiAlt: "QR-code voor de Learner Credential Wallet",
    askWaiting: "Wachten op de wallet van de medewerker… De codes werken één keer, tot {when}.",
    askVerifying: "De wallet heeft geantwoord; controleren…",
    askExpired: "Het verzoek is verlopen voordat de wallet antwoordde. Vraag het opnieuw.",
    askFailed: "Het verzoek kon niet worden gemaakt: {detail}",
    presentedNow: "Zojuist getoond door de eigenaar",
    presentedNotByHolder: "Niet door de eigenaar getoond voor dit verzoek: {reason}",
    title: "Een vaardighedenpaspoort controleren",
    reportTitle: "Controlerapport vaardigheden",
    languages: "Taal",
    inputHeading: "Een document controleren",
    intro: "Open het paspoort- of vaardighedenbestand dat u van de medewerker kreeg (een .json-bestand), of plak de tekst ervan. Deze dienst controleert het volgens de gepubliceerde standaarden; er wordt niets bewaard.",
    chooseFile: "Kies het bestand",
    dropHint: "of sleep het hierheen",
    pasteSummary: "De tekst van het bestand plakken",
    pasteLabel: "De tekst van het bestand (JSON)",
    verify: "Controleren",
    checking: "Bezig met controleren…",
    print: "Rapport afdrukken",
    again: "Nog een document controleren",
    home: "Over deze dienst",
    apiDocs: "API-documentatie",
    notJson: "Dit is niet de tekst van een paspoortbestand (het is geen JSON): {error}",
    notDocument: "Dit bestand is geen vaardigheidsbewijs en geen paspoort.",
    failed: "De dienst kon dit document niet controleren: {detail}",
    resultCredential: "Uitkomst van de controle",
    resultPassport: "Paspoort: {skills}",
    resultPassportOf: "Paspoort van {name}: {skills}",
    checkedAt: "Gecontroleerd op {when} door de controledienst op {service}.",
    skills: { one: "{n} vaardigheid", other: "{n} vaardigheden" },
    allValid: { one: "{skills}: geldig.", other: "{skills}: alle geldig." },
    mixed: "{skills}: {counts} — niet op vertrouwen: {items}.",
    documentNumber: "document {n}",
    noSkills: "Het paspoort bevat geen vaardigheden.",
    countsLabel: "Uitkomsten",
    listSeparator: ", ",
    holderBound: "Voor deze controle ondertekend door de wallet van de medewerker.",
    holderBoundNotNow: "Ondertekend door de wallet van de medewerker, maar niet voor deze controle: iedereen met een kopie van het bestand kan het laten zien. Wilt u zeker weten dat het de medewerker is, vraag het paspoort dan ter plekke op uit de wallet.",
    holderUnbound: "Niet ondertekend door de medewerker: iedereen met een kopie van het bestand kan het laten zien. Stel zelf vast wie de medewerker is (de naam hieronder met een identiteitsbewijs, of het e-mailadres).",
    holderFailed: "De handtekening van de medewerker op het paspoort klopt niet: het paspoort kan door iemand anders zijn samengesteld.",
    namesDiffer: "De vaardigheden noemen verschillende personen: {names}.",
    passportInvalid: "Dit paspoort is niet opgebouwd zoals een paspoort moet zijn, en is dus niet te controleren.",
    notAboutHolder: "Deze vaardigheid gaat over iemand anders dan de medewerker die het paspoort ondertekende.",
    verdict: {
      "valid": "Geldig",
      "untrusted-issuer": "Onbekende uitgever",
      "revoked": "Ingetrokken",
      "suspended": "Geschorst",
      "expired": "Verlopen",
      "not-yet-valid": "Nog niet geldig",
      "not-genuine": "Niet echt",
      "cannot-check": "Niet te controleren",
      "invalid": "Ongeldig",
    },
    sentence: {
      "valid": "U kunt hierop vertrouwen: uitgegeven door {provider}, ongewijzigd, vandaag geldig, niet ingetrokken en niet geschorst.",
      "untrusted-issuer": "Vertrouw hier alleen op als u de uitgever zelf kent: het document is ongeschonden, maar wie het uitgaf is bij deze dienst niet bekend, en iedereen kan zo'n document maken.",
      "revoked": "Vertrouw hier niet op: {provider} heeft het definitief ingetrokken.",
      "suspended": "Vertrouw hier voorlopig niet op: {provider} heeft het geschorst.",
      "suspendedBecause": "Vertrouw hier voorlopig niet op: {provider} heeft het geschorst — {reason}.",
      "expired": "Vertrouw hier niet op: het was geldig tot {date}.",
      "not-yet-valid": "Nog niet: het is geldig vanaf {date}.",
      "not-genuine": "Vertrouw hier niet op: het document is na het ondertekenen gewijzigd, of niet ondertekend door de uitgever die erin staat. Niets erin is betrouwbaar.",
      "cannot-check": "Niet bevestigd en niet weerlegd: deze dienst kon niet alles krijgen wat nodig is om het te controleren. Vertrouw er niet op tot het wel te controleren is.",
      "invalid": "Vertrouw hier niet op: het document is niet opgebouwd zoals een vaardigheidsbewijs moet zijn, en is dus niet te controleren.",
    },
    theIssuer: "de uitgever",
    reasonsLabel: "Waarom",
    adviceLabel: "Wat u kunt doen",
    advice: {
      "not-genuine": "Vraag de medewerker om het originele bestand van de opleider, of vraag de opleider de vaardigheid te bevestigen.",
      "cannot-check": "Probeer het later opnieuw. Lukt het dan nog niet, vraag de opleider de vaardigheid te bevestigen.",
      "invalid": "Vraag de medewerker om het originele bestand van de opleider.",
      "untrusted-issuer": "Zoek uit wie het uitgaf voordat u erop vertrouwt, of vraag de medewerker om een bewijs van een erkende opleider.",
    },
    section: { who: "Van wie", what: "Wat", how: "Hoe beoordeeld", says: "Wie zegt dat", until: "Tot wanneer", shared: "Wat de werknemer deelde" },
    sharedNote: "Gevraagd: {claims}. De wallet van de werknemer liet deze zien (SD-JWT VC); de rest van het bewijs blijft verborgen.",
    disclosedNote: "Een SD-JWT VC: naast wat altijd zichtbaar is, koos de houder ervoor {claims} te laten zien; de rest blijft verborgen.",
    nothingMore: "niets meer",
    notShared: "niet gedeeld",
    holderName: "Naam",
    holderNone: "Het document noemt geen naam.",
    holderKeyOnly: "Alleen aangeduid met een walletsleutel, niet met een naam.",
    holderKeyPassport: "Dezelfde walletsleutel ondertekende het paspoort.",
    emailLabel: "E-mailadres",
    emailProtected: "Vastgelegd als afgeschermd e-mailadres. Vraag de medewerker om het e-mailadres en controleer het hier:",
    emailProtectedShort: "Een afgeschermd e-mailadres.",
    emailField: "E-mailadres van de medewerker",
    emailCheck: "Adres controleren",
    emailMatch: "✓ Dit is het adres waarvoor het bewijs is uitgegeven.",
    emailNoMatch: "✗ Niet dit adres. Controleer de spelling, of vraag naar het adres dat de medewerker aan de opleider gaf.",
    emailEmpty: "Typ eerst het adres.",
    emailUnavailable: "Deze controle werkt alleen als de pagina via https is geopend.",
    emailPlain: "E-mailadres",
    skill: "Vaardigheid",
    level: "Niveau",
    levelEqf: "{level} — EQF-niveau {eqf}",
    safety: "Veiligheid",
    safetyCertificate: "Veiligheidscertificaat",
    safetyCritical: "Veiligheidskritische vaardigheid",
    safetyNo: "Geen veiligheidscertificaat",
    framework: "Kader",
    assessedOn: "Beoordeeld op",
    method: "Methode",
    methods: {
      "practical": "praktijktoets",
      "written": "schriftelijk examen",
      "oral": "mondeling examen",
      "observation": "observatie op de werkplek",
      "portfolio": "portfolio",
      "simulation": "simulatie",
      "recognition-of-prior-learning": "erkenning van eerder verworven competenties (EVC)",
    },
    assessor: "Beoordelaar",
    assessingBody: "Beoordelende instelling",
    whatWasDone: "Wat er is gedaan",
    evidence: "Bewijsstukken",
    notStated: "niet vermeld",
    provider: "Opleider",
    basis: "Bekend bij deze dienst",
    trust: {
      "registered": "Geregistreerd bij deze dienst.",
      "registered-earlier-key": "Geregistreerd bij deze dienst (ondertekend met een eerdere sleutel van de opleider).",
      "trust-list": "Op de vertrouwenslijst van deze dienst.",
      "trust-list-named": "Op de vertrouwenslijst „{list}”.",
      "unknown": "Nee. Het noemt zich „{name}”, maar die naam is niet gecontroleerd: het is geen opleider die deze dienst kent.",
      "unknownNameless": "Nee: geen opleider die deze dienst kent.",
    },
    validUntil: "Geldig tot",
    noEnd: "geen einddatum",
    issuedOn: "Uitgegeven op",
    status: "Ingetrokken of geschorst",
    statusActive: "Geen van beide (zojuist gecontroleerd).",
    statusRevoked: "Definitief ingetrokken.",
    statusSuspended: "Geschorst.",
    statusSuspendedBecause: "Geschorst — opgegeven reden: {reason}.",
    statusUnknown: "Kon niet worden gecontroleerd.",
    statusNotRevocable: "Het noemt geen lijst waarmee het kan worden ingetrokken.",
    claimsUntrusted: "Wat het document beweert (niet betrouwbaar)",
    claimsUnconfirmed: "Wat het document zegt (niet bevestigd)",
    claimsUnvouched: "Wat de onbekende uitgever verklaart (niemand die deze dienst kent staat ervoor in)",
    issuerId: "Kenmerk van de uitgever",
    credentialId: "Kenmerk van het document",
    technical: "Technische details",
    serverDetail: "Toelichting van de dienst",
    checks: {
      "proof": "Handtekening",
      "dataModel": "Opbouw van het document",
      "validityPeriod": "Geldigheidsdatums",
      "status": "Ingetrokken of geschorst",
      "credentialSchema": "Verplichte inhoud",
      "issuerTrust": "Uitgever hier bekend",
      "holderProof": "Handtekening van de medewerker op het paspoort",
      "holderBinding": "Getoond door de medewerker",
      "credentials": "Vaardigheden in het paspoort",
    },
    outcomes: { "passed": "in orde", "failed": "afgekeurd", "not-performed": "niet te controleren", "skipped": "overgeslagen" },
  },
};

// The server's reasons, by problem code (VC 2.0, Data Integrity, Bitstring Status List
// and skillcred codes). A code not listed here shows the server's own English detail.
const REASONS = {
  PROOF_VERIFICATION_ERROR: {
    en: "The signature does not match the document: it was changed after it was signed, or signed with another key.",
    nl: "De handtekening past niet bij het document: het is na het ondertekenen gewijzigd, of met een andere sleutel ondertekend.",
  },
  ISSUER_MISMATCH: {
    en: "It was signed with a key that does not belong to the issuer it names: someone else made it in that issuer's name.",
    nl: "Het is ondertekend met een sleutel die niet van de genoemde uitgever is: iemand anders heeft het op naam van die uitgever gemaakt.",
  },
  HOLDER_MISMATCH: {
    en: "The passport was signed with a key that is not the worker's.",
    nl: "Het paspoort is ondertekend met een sleutel die niet van de medewerker is.",
  },
  MALFORMED_PROOF_ERROR: {
    en: "The signature is damaged or incomplete.",
    nl: "De handtekening is beschadigd of onvolledig.",
  },
  MISMATCHED_PROOF_PURPOSE_ERROR: {
    en: "The signature was made for another purpose than vouching for this document.",
    nl: "De handtekening is voor een ander doel gezet dan om voor dit document in te staan.",
  },
  INVALID_CHALLENGE_ERROR: {
    en: "The passport was not signed for this request.",
    nl: "Het paspoort is niet voor dit verzoek ondertekend.",
  },
  INVALID_DOMAIN_ERROR: {
    en: "The passport was signed for another website.",
    nl: "Het paspoort is voor een andere website ondertekend.",
  },
  PROOF_TRANSFORMATION_ERROR: {
    en: "The document uses terms in a way that cannot be read, so its signature cannot be checked.",
    nl: "Het document gebruikt termen op een manier die niet te lezen is, dus de handtekening is niet te controleren.",
  },
  UNKNOWN_CONTEXT: {
    en: "The document uses a vocabulary this service does not have, so it cannot rebuild what was signed.",
    nl: "Het document gebruikt een woordenlijst die deze dienst niet heeft, dus kan niet worden nagegaan wat er is ondertekend.",
  },
  UNSUPPORTED_CRYPTOSUITE: {
    en: "It is signed in a way this service cannot check.",
    nl: "Het is ondertekend op een manier die deze dienst niet kan controleren.",
  },
  DID_NOT_RESOLVED: {
    en: "The issuer's public key could not be fetched (their website did not answer).",
    nl: "De openbare sleutel van de uitgever kon niet worden opgehaald (hun website gaf geen antwoord).",
  },
  DID_RESOLUTION_ERROR: {
    en: "The issuer's identifier cannot be used to find their public key.",
    nl: "Met het kenmerk van de uitgever is hun openbare sleutel niet te vinden.",
  },
  CREDENTIAL_REVOKED: {
    en: "The training provider has withdrawn it for good.",
    nl: "De opleider heeft het definitief ingetrokken.",
  },
  CREDENTIAL_SUSPENDED: {
    en: "The training provider has suspended it for now.",
    nl: "De opleider heeft het voorlopig geschorst.",
  },
  STATUS_RETRIEVAL_ERROR: {
    en: "Whether it was withdrawn or suspended could not be looked up.",
    nl: "Of het is ingetrokken of geschorst, kon niet worden opgezocht.",
  },
  STATUS_VERIFICATION_ERROR: {
    en: "The list that says whether it was withdrawn could not be trusted.",
    nl: "De lijst die zegt of het is ingetrokken, was niet betrouwbaar.",
  },
  STATUS_LIST_LENGTH_ERROR: {
    en: "The list that says whether it was withdrawn is damaged.",
    nl: "De lijst die zegt of het is ingetrokken, is beschadigd.",
  },
  UNSUPPORTED_STATUS_TYPE: {
    en: "It uses a kind of withdrawal list this service cannot read.",
    nl: "Het gebruikt een soort intrekkingslijst die deze dienst niet kan lezen.",
  },
  PARSING_ERROR: {
    en: "The document cannot be read.",
    nl: "Het document is niet te lezen.",
  },
  MALFORMED_VALUE_ERROR: {
    en: "A required part of the document is missing or wrongly filled in.",
    nl: "Een verplicht onderdeel van het document ontbreekt of is verkeerd ingevuld.",
  },
  DATA_LOSS_DETECTION_ERROR: {
    en: "The document holds parts that are not defined, so they would not be covered by the signature.",
    nl: "Het document bevat onderdelen die niet gedefinieerd zijn, en die dus niet door de handtekening gedekt zouden zijn.",
  },
  SCHEMA_VALIDATION_ERROR: {
    en: "The document lacks contents its own format requires.",
    nl: "Het document mist inhoud die het eigen formaat voorschrijft.",
  },
  SCHEMA_UNAVAILABLE: {
    en: "The description of the required contents could not be fetched.",
    nl: "De beschrijving van de verplichte inhoud kon niet worden opgehaald.",
  },
  SCHEMA_NOT_CHECKED: {
    en: "The required contents were not checked.",
    nl: "De verplichte inhoud is niet gecontroleerd.",
  },
  SCHEMA_TYPE_UNSUPPORTED: {
    en: "The required contents are described in a way this service cannot read.",
    nl: "De verplichte inhoud is beschreven op een manier die deze dienst niet kan lezen.",
  },
  RANGE_ERROR: {
    en: "It is outside the dates it is valid.",
    nl: "Het valt buiten de datums waarop het geldig is.",
  },
  UNTRUSTED_ISSUER: {
    en: "The issuer is not a provider registered with this service, nor on its trust list.",
    nl: "De uitgever is geen opleider die bij deze dienst is geregistreerd, en staat niet op de vertrouwenslijst.",
  },
  HOLDER_BINDING_NOT_PROVEN: {
    en: "The worker signed the passport, but not for this check: anyone with a copy could show it.",
    nl: "De medewerker ondertekende het paspoort, maar niet voor deze controle: iedereen met een kopie kan het laten zien.",
  },
  SUBJECT_NOT_HOLDER: {
    en: "A skill in the passport is about someone other than the worker who signed it.",
    nl: "Een vaardigheid in het paspoort gaat over iemand anders dan de medewerker die het ondertekende.",
  },
  CREDENTIAL_NOT_VERIFIED: {
    en: "Not every skill in the passport holds.",
    nl: "Niet elke vaardigheid in het paspoort klopt.",
  },
};

// What the employer can do when a reason with this code stands in the way.
const ADVICE = {
  UNKNOWN_CONTEXT: {
    en: "Ask the worker or the training provider for the credential in the standard skills passport format, or check it with the provider's own verification service.",
    nl: "Vraag de medewerker of de opleider om het bewijs in het standaardformaat van het vaardighedenpaspoort, of controleer het bij de eigen controledienst van de opleider.",
  },
  DID_NOT_RESOLVED: {
    en: "Try again later. If it keeps failing, contact the training provider: their public key must be on their website.",
    nl: "Probeer het later opnieuw. Lukt het dan nog niet, neem contact op met de opleider: hun openbare sleutel moet op hun website staan.",
  },
  STATUS_RETRIEVAL_ERROR: {
    en: "Try again later. If it keeps failing, ask the training provider whether it is still valid.",
    nl: "Probeer het later opnieuw. Lukt het dan nog niet, vraag de opleider of het nog geldig is.",
  },
  UNSUPPORTED_CRYPTOSUITE: {
    en: "Check it with a verifier that supports this kind of signature, or ask the training provider to confirm it.",
    nl: "Controleer het met een controledienst die deze soort handtekening kent, of vraag de opleider het te bevestigen.",
  },
};

const METHOD_KEYS = new Set(Object.keys(TEXT.en.methods));
const GENUINE_VERDICTS = new Set(["valid", "untrusted-issuer", "revoked", "suspended", "expired", "not-yet-valid"]);
const VERDICT_ORDER = ["valid", "untrusted-issuer", "suspended", "revoked", "expired", "not-yet-valid", "cannot-check", "not-genuine", "invalid"];
const MARKS = {
  "valid": "✓", "untrusted-issuer": "!", "revoked": "✗", "suspended": "!", "expired": "✗",
  "not-yet-valid": "!", "not-genuine": "✗", "cannot-check": "?", "invalid": "✗",
};

let language = "en";
let lastResult = null;

function lookup(key, table) {
  return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), table);
}

function t(key, values) {
  let text = lookup(key, TEXT[language]);
  if (text === undefined) text = lookup(key, TEXT.en);
  if (text === undefined) return key;
  if (typeof text === "object" && values && typeof values.n === "number") {
    text = text[new Intl.PluralRules(language).select(values.n)] || text.other;
  }
  return String(text).replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? String(values[name]) : ""));
}

function has(key) {
  return lookup(key, TEXT.en) !== undefined;
}

function locale() {
  return language === "nl" ? "nl-NL" : "en-GB";
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// Text from the service in English, marked so on a Dutch page (screen readers say it right).
function english(text) {
  return element("span", { lang: "en" }, text);
}

function formatDate(value) {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  // A date alone (midnight UTC, as an assessment date is written) is that day everywhere.
  const dateOnly = /^\d{4}-\d{2}-\d{2}(T00:00:00(\.0+)?Z)?$/.test(value);
  return date.toLocaleDateString(locale(), { year: "numeric", month: "long", day: "numeric", timeZone: dateOnly ? "UTC" : undefined });
}

function formatMoment(date) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeStyle: "long" }).format(date);
}

function verdictWord(verdict) {
  return t("verdict." + (has("verdict." + verdict) ? verdict : "invalid"));
}

// --- reasons ----------------------------------------------------------------------------

function reasonText(reason, verdict) {
  if (reason.code === "RANGE_ERROR" && (verdict === "expired" || verdict === "not-yet-valid")) return null;
  const known = reason.code && REASONS[reason.code];
  if (known) return document.createTextNode(known[language] || known.en);
  return english(reason.detail || reason.code || "");
}

// Verdicts whose sentence says all there is: a list of reasons would only repeat it.
const SELF_EXPLAINED = new Set(["valid", "revoked", "suspended", "expired", "not-yet-valid"]);

function reasonsBlock(summary, verdict) {
  if (SELF_EXPLAINED.has(verdict)) return null;
  const items = [];
  const seen = new Set();
  for (const reason of summary.reasons || []) {
    const key = reason.code && REASONS[reason.code] ? reason.code : reason.detail;
    if (seen.has(key)) continue;
    seen.add(key);
    const text = reasonText(reason, verdict);
    if (text) items.push(element("li", {}, text));
  }
  if (!items.length) return null;
  return element("div", { class: "reasons" },
    element("p", { class: "label" }, t("reasonsLabel")),
    element("ul", {}, items));
}

function adviceBlock(summary, verdict) {
  let advice = null;
  for (const reason of summary.reasons || []) {
    if (reason.code && ADVICE[reason.code]) {
      advice = ADVICE[reason.code][language] || ADVICE[reason.code].en;
      break;
    }
  }
  if (!advice && has("advice." + verdict)) advice = t("advice." + verdict);
  if (!advice) return null;
  return element("div", { class: "advice" }, element("p", { class: "label" }, t("adviceLabel")), element("p", {}, advice));
}

// --- facts ------------------------------------------------------------------------------

function fact(label, ...value) {
  const values = value.flat().filter((v) => v !== null && v !== undefined && v !== "");
  if (!values.length) return null;
  return [element("dt", {}, label), element("dd", {}, values)];
}

function group(key, ...facts) {
  const pairs = facts.filter(Boolean).flat();
  if (!pairs.length) return null;
  return element("section", { class: "facts", "data-group": key },
    element("h4", {}, t("section." + key)),
    element("dl", {}, pairs));
}

function link(url, text, live) {
  // Links only where the document is vouched for; otherwise the address is shown as text.
  return live && url ? element("a", { href: url, rel: "noopener noreferrer nofollow" }, text || url) : (text || url);
}

function whoFacts(summary, context, live) {
  const holder = summary.holder || {};
  const facts = [];
  if (holder.name) facts.push(fact(t("holderName"), holder.name));
  if (holder.email) facts.push(fact(t("emailPlain"), holder.email));
  if (holder.emailHash) {
    facts.push(fact(t("emailLabel"), live ? emailCheck(holder.emailHash, context.index) : t("emailProtectedShort")));
  }
  if (!holder.name && summary.format === "dc+sd-jwt") {
    // Selective disclosure: what the worker did not show is not missing, it is private.
    facts.push(fact(t("holderName"), t("notShared")));
  } else if (!holder.name && !holder.email && !holder.emailHash) {
    if (holder.id) {
      facts.push(fact(t("holderName"), t("holderKeyOnly"), context.boundToHolder && summary.subjectIsHolder ? " " + t("holderKeyPassport") : null));
    } else {
      facts.push(fact(t("holderName"), t("holderNone")));
    }
  }
  return group("who", ...facts);
}

function whatFacts(summary, live) {
  const level = summary.level
    ? (summary.levelEqf ? t("levelEqf", { level: summary.level, eqf: summary.levelEqf }) : summary.level)
    : null;
  let safety = t("safetyNo");
  if (summary.achievementType === "Certification" || summary.achievementType === "License") safety = t("safetyCertificate");
  else if (summary.safetyCritical) safety = t("safetyCritical");
  const frameworks = (summary.frameworks || []).map((f) =>
    element("span", { class: "framework" }, (f.framework ? f.framework + ": " : ""), link(f.url, f.name || f.url, live)));
  return group("what",
    fact(t("skill"), summary.skill || t("notStated")),
    fact(t("level"), level),
    fact(t("safety"), summary.achievementType || summary.safetyCritical !== undefined ? safety : null),
    fact(t("framework"), frameworks));
}

function howFacts(summary, live) {
  const assessment = summary.assessment;
  const evidence = (summary.evidence || []).filter((e) => e.name || e.url);
  if (!assessment && !evidence.length) return null;
  const a = assessment || {};
  const method = a.method ? (METHOD_KEYS.has(a.method) ? t("methods." + a.method) : a.method) : null;
  const assessor = a.assessor ? a.assessor + (a.qualification ? " (" + a.qualification + ")" : "") : null;
  const evidenceList = evidence.length
    ? element("ul", { class: "evidence" }, evidence.map((e) =>
      element("li", {}, link(e.url, e.name || e.url, live), e.narrative ? " — " + e.narrative : null)))
    : null;
  return group("how",
    fact(t("assessedOn"), formatDate(a.date)),
    fact(t("method"), method),
    fact(t("assessor"), assessor),
    fact(t("assessingBody"), a.body),
    fact(t("whatWasDone"), a.narrative || a.description),
    fact(t("evidence"), evidenceList));
}

function saysFacts(summary, verdict) {
  const issuer = summary.issuer || {};
  if (GENUINE_VERDICTS.has(verdict)) {
    let basis;
    if (issuer.trust === "trust-list" && issuer.trustList) basis = t("trust.trust-list-named", { list: issuer.trustList });
    else if (issuer.trust && issuer.trust !== "unknown" && has("trust." + issuer.trust)) basis = t("trust." + issuer.trust);
    else if (issuer.name) basis = t("trust.unknown", { name: issuer.name });
    else basis = t("trust.unknownNameless");
    const known = issuer.trust && issuer.trust !== "unknown";
    return group("says",
      known ? fact(t("provider"), issuer.knownName || issuer.name) : null,
      fact(t("basis"), basis));
  }
  return group("says", fact(t("provider"), issuer.name || t("notStated")), fact(t("issuerId"), element("span", { class: "id" }, issuer.id || "—")));
}

function statusText(status) {
  if (!status) return null;
  if (status.revoked === true) return t("statusRevoked");
  if (status.suspended === true) {
    return status.suspensionReason ? t("statusSuspendedBecause", { reason: status.suspensionReason }) : t("statusSuspended");
  }
  if (status.revoked === "unknown" || status.suspended === "unknown") return t("statusUnknown");
  if (status.lists && status.lists.length === 0) return t("statusNotRevocable");
  return t("statusActive");
}

function untilFacts(summary, verdict, claims) {
  return group("until",
    fact(t("validUntil"), formatDate(summary.validUntil) || t("noEnd")),
    fact(t("issuedOn"), formatDate(summary.validFrom)),
    // The status of a document that is not vouched for is no fact about anything.
    claims ? null : fact(t("status"), statusText(summary.status)),
    claims ? fact(t("credentialId"), element("span", { class: "id" }, summary.credentialId || "—")) : null);
}

function claimValue(value) {
  if (value && typeof value === "object") return value.name || value.id || JSON.stringify(value);
  return String(value);
}

function sharedFacts(summary) {
  // An SD-JWT VC: the claims the employer asked for, and what the worker's wallet showed.
  if (summary.format !== "dc+sd-jwt") return null;
  if (!summary.requestedClaims) {
    // Pasted, not asked for: which of its selectively disclosable claims it shows.
    const shown = (summary.disclosed || []).join(", ") || t("nothingMore");
    return element("section", { class: "facts", "data-group": "shared" },
      element("h4", {}, t("section.shared")),
      element("p", {}, t("disclosedNote", { claims: shown })));
  }
  const asked = summary.disclosedClaims || [];
  return element("section", { class: "facts", "data-group": "shared" },
    element("h4", {}, t("section.shared")),
    element("p", {}, t("sharedNote", { claims: (summary.requestedClaims || []).join(", ") })),
    element("dl", {}, asked.map((c) => [
      element("dt", {}, c.path),
      element("dd", {}, c.value && c.value.length ? c.value.map(claimValue).join(", ") : t("notShared")),
    ]).flat()));
}

function factsOf(summary, verdict, context, { claims, live = !claims }) {
  return [
    sharedFacts(summary),
    whoFacts(summary, context, live),
    whatFacts(summary, live),
    howFacts(summary, live),
    saysFacts(summary, claims ? "not-genuine" : verdict),
    untilFacts(summary, verdict, claims),
  ];
}

// --- the hashed e-mail check ------------------------------------------------------------

async function sha256Hex(text) {
  const digest = await window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function emailCheck(emailHash, index) {
  const id = "email-" + index;
  const input = element("input", { id, type: "email", autocomplete: "off", spellcheck: "false", inputmode: "email" });
  const answer = element("p", { class: "email-answer", role: "status", "aria-live": "polite" });
  const button = element("button", { type: "submit", class: "secondary" }, t("emailCheck"));
  const form = element("form", { class: "email-check" },
    element("p", {}, t("emailProtected")),
    element("label", { for: id }, t("emailField")),
    element("div", { class: "email-row" }, input, button),
    answer);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = input.value.trim().toLowerCase();
    answer.className = "email-answer";
    if (!typed) { answer.textContent = t("emailEmpty"); return; }
    if (!window.crypto || !window.crypto.subtle) { answer.textContent = t("emailUnavailable"); return; }
    // Open Badges IdentityHash: sha256 of the address (as the provider wrote it: trimmed,
    // lower case) followed by the salt; nothing leaves the page.
    const match = (await sha256Hex(typed + (emailHash.salt || ""))) === emailHash.hash;
    answer.textContent = match ? t("emailMatch") : t("emailNoMatch");
    answer.classList.add(match ? "match" : "no-match");
  });
  return form;
}

// --- cards ------------------------------------------------------------------------------

function sentenceFor(summary, verdict) {
  // Named only as this service knows it: an unknown issuer's name for itself is its claim.
  const provider = (summary.issuer && summary.issuer.knownName) || t("theIssuer");
  if (verdict === "suspended" && summary.status && summary.status.suspensionReason) {
    return t("sentence.suspendedBecause", { provider, reason: summary.status.suspensionReason });
  }
  if (verdict === "expired") return t("sentence.expired", { date: formatDate(summary.validUntil) || "—" });
  if (verdict === "not-yet-valid") return t("sentence.not-yet-valid", { date: formatDate(summary.validFrom) || "—" });
  return t("sentence." + (has("sentence." + verdict) ? verdict : "invalid"), { provider });
}

function technicalDetails(checks, summary, genuine, verdict) {
  const list = element("ul", { class: "checks" });
  // Of a document that is not genuine (or not well-formed) only what shows it matters:
  // "status: OK" of a forgery would read as a fact about it.
  const shown = (checks || []).filter((c) => genuine || verdict === "cannot-check" || c.check === "proof" || c.check === "dataModel");
  for (const check of shown) {
    const name = has("checks." + check.check) ? t("checks." + check.check) : check.check;
    const item = element("li", {}, element("span", {}, name + ": "), element("span", { class: "outcome" }, t("outcomes." + check.outcome)));
    for (const problem of check.problems || []) {
      item.append(element("div", { class: "detail" }, element("span", { class: "code" }, problem.code), " ", english(problem.detail)));
    }
    list.append(item);
  }
  const ids = genuine
    ? element("dl", { class: "ids" },
      fact(t("issuerId"), element("span", { class: "id" }, summary.providerDid || "—")),
      fact(t("credentialId"), element("span", { class: "id" }, summary.credentialId || "—")))
    : null;
  return element("details", { class: "technical" }, element("summary", {}, t("technical")), list, ids);
}

function card(summary, checks, index, context) {
  const verdict = has("verdict." + summary.verdict) ? summary.verdict : "invalid";
  const genuine = GENUINE_VERDICTS.has(verdict) && summary.genuine !== false;
  const number = index + 1;
  const titleId = "skill-" + index + "-title";
  // The skill's name is the document's claim: only a genuine one is named by it.
  const title = genuine && summary.skill ? summary.skill : t("documentNumber", { n: number }).replace(/^./, (c) => c.toUpperCase());
  const children = [
    element("div", { class: "card-head" },
      element("p", { class: "verdict" }, element("span", { class: "mark", "aria-hidden": "true" }, MARKS[verdict] || "?"), " ", verdictWord(verdict)),
      element("h3", { id: titleId }, title),
      element("p", { class: "sentence" }, sentenceFor(summary, verdict)),
      reasonsBlock(summary, verdict),
      context.boundToHolder && summary.subjectIsHolder === false && genuine ? element("p", { class: "warning" }, t("notAboutHolder")) : null,
      adviceBlock(summary, verdict)),
  ];
  if (genuine && verdict === "untrusted-issuer") {
    // Intact, but nobody this service knows vouches for it: what it states is shown as
    // the unknown issuer's word, with no links into it.
    children.push(element("section", { class: "unvouched", "aria-label": t("claimsUnvouched") },
      element("p", { class: "unvouched-title" }, t("claimsUnvouched")),
      element("div", { class: "fact-groups" }, factsOf(summary, verdict, { ...context, index }, { claims: false, live: false }))));
  } else if (genuine) {
    children.push(element("div", { class: "fact-groups" }, factsOf(summary, verdict, { ...context, index }, { claims: false })));
  } else if (summary.skill !== undefined || summary.issuer) {
    const untrusted = verdict !== "cannot-check";
    children.push(element("details", { class: untrusted ? "claims untrusted" : "claims unconfirmed" },
      element("summary", {}, t(untrusted ? "claimsUntrusted" : "claimsUnconfirmed")),
      element("div", { class: untrusted ? "fact-groups struck" : "fact-groups" }, factsOf(summary, verdict, { ...context, index }, { claims: true }))));
  }
  children.push(technicalDetails(checks, summary, genuine, verdict));
  return element("li", { class: "skill", "data-verdict": verdict, "aria-labelledby": titleId }, children);
}

// --- the passport's bottom line -----------------------------------------------------------

function bottomLine(list) {
  const total = list.length;
  const skills = t("skills", { n: total });
  const counts = new Map();
  for (const s of list) counts.set(s.verdict, (counts.get(s.verdict) || 0) + 1);
  if (total === 0) return { text: t("noSkills"), counts, worst: "invalid" };
  if (counts.get("valid") === total) return { text: t("allValid", { n: total, skills }), counts, worst: "valid" };
  const countText = VERDICT_ORDER.filter((v) => counts.has(v))
    .map((v) => counts.get(v) + " " + verdictWord(v).toLowerCase()).join(t("listSeparator"));
  const items = list.map((s, i) => ({ s, i })).filter(({ s }) => s.verdict !== "valid")
    .map(({ s, i }) => (GENUINE_VERDICTS.has(s.verdict) && s.skill ? s.skill : t("documentNumber", { n: i + 1 })));
  const worst = VERDICT_ORDER.slice().reverse().find((v) => counts.has(v)) || "invalid";
  return { text: t("mixed", { skills, counts: countText, items: items.join(t("listSeparator")) }), counts, worst };
}

function holderName(list) {
  const names = new Set();
  for (const s of list) {
    if (GENUINE_VERDICTS.has(s.verdict) && s.holder && s.holder.name) names.add(s.holder.name.trim());
  }
  return names;
}

function renderPassport(body) {
  const list = body.skills || [];
  const checks = body.checks || [];
  const holderProof = checks.find((c) => c.check === "holderProof");
  const binding = checks.find((c) => c.check === "holderBinding");
  const bound = Boolean(binding && binding.bound);
  const names = holderName(list);
  const skills = t("skills", { n: list.length });
  document.getElementById("result-heading").textContent = names.size === 1
    ? t("resultPassportOf", { name: [...names][0], skills })
    : t("resultPassport", { skills });

  const line = bottomLine(list);
  const bottom = document.getElementById("bottom-line");
  bottom.textContent = line.text;
  bottom.dataset.verdict = line.worst;
  bottom.hidden = false;

  const counts = document.getElementById("counts");
  counts.replaceChildren(...VERDICT_ORDER.filter((v) => line.counts.has(v)).map((v) =>
    element("li", { "data-verdict": v }, element("span", { class: "mark", "aria-hidden": "true" }, MARKS[v]), " " + line.counts.get(v) + " " + verdictWord(v).toLowerCase())));
  counts.setAttribute("aria-label", t("countsLabel"));
  counts.hidden = false;

  const holder = document.getElementById("passport-holder");
  const lines = [];
  const dataModel = checks.find((c) => c.check === "dataModel");
  if (dataModel && dataModel.outcome === "failed") {
    const problem = (dataModel.problems || [])[0] || {};
    lines.push(element("p", { class: "warning" }, t("passportInvalid"), " ", reasonText(problem, "invalid")));
  } else if (holderProof && holderProof.outcome === "failed") {
    lines.push(element("p", { class: "warning" }, t("holderFailed")));
  } else if (bound && binding.forThisRequest) {
    lines.push(element("p", {}, t("holderBound")));
  } else if (bound) {
    lines.push(element("p", { class: "caution" }, t("holderBoundNotNow")));
  } else {
    lines.push(element("p", { class: "caution" }, t("holderUnbound")));
  }
  if (names.size > 1) lines.push(element("p", { class: "warning" }, t("namesDiffer", { names: [...names].join(t("listSeparator")) })));
  const asked = body.presentationRequest;
  const presentedNow = Boolean(asked && asked.presentedByHolder);
  if (presentedNow) {
    lines.unshift(element("p", { class: "presented" }, element("span", { class: "mark", "aria-hidden": "true" }, "✓"), " ", t("presentedNow")));
  } else if (asked) {
    lines.unshift(element("p", { class: "warning" }, t("presentedNotByHolder", { reason: english(body.verdictReason || verdictWord(body.verdict)) })));
  }
  holder.replaceChildren(...lines);

  const context = { boundToHolder: bound };
  const cards = document.getElementById("skills");
  (body.credentialResults || []).forEach((result, index) => {
    const summary = list[index] || { verdict: result.verdict };
    const item = card(summary, result.checks, index, context);
    if (presentedNow && summary.subjectIsHolder) {
      item.querySelector(".card-head").append(element("p", { class: "presented" }, t("presentedNow")));
    }
    cards.append(item);
  });
}

function render(kind, body, checkedAt) {
  const cards = document.getElementById("skills");
  cards.replaceChildren();
  document.getElementById("passport-holder").replaceChildren();
  document.getElementById("bottom-line").hidden = true;
  document.getElementById("counts").hidden = true;
  document.getElementById("checked-at").textContent = t("checkedAt", { when: formatMoment(checkedAt), service: window.location.origin });
  if (kind === "presentation") {
    renderPassport(body);
  } else {
    document.getElementById("result-heading").textContent = t("resultCredential");
    cards.append(card(body.summary || { verdict: body.verdict }, body.checks, 0, { boundToHolder: false }));
  }
  document.getElementById("result").hidden = false;
}

// --- input ------------------------------------------------------------------------------

function showMessage(text) {
  document.getElementById("message").textContent = text || "";
}

//: an SD-JWT VC or SD-JWT+KB, as a wallet exports it: <JWT>~<disclosure>~…~[<KB-JWT>]
const SD_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+~([A-Za-z0-9_-]+~)*([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?$/;

async function verify(text) {
  showMessage("");
  const compact = text.trim();
  if (SD_JWT.test(compact)) {
    await send("credential", "credentials/verify", { verifiableCredential: compact });
    return;
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    showMessage(t("notJson", { error: error.message }));
    return;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    showMessage(t("notDocument"));
    return;
  }
  const types = [].concat(parsed.type || []);
  const kind = types.includes("VerifiablePresentation") ? "presentation" : "credential";
  const url = kind === "presentation" ? "presentations/verify" : "credentials/verify";
  const payload = kind === "presentation"
    ? { verifiablePresentation: parsed, options: { allowUnsignedPresentation: true } }
    : { verifiableCredential: parsed };
  await send(kind, url, payload);
}

async function send(kind, url, payload) {
  const button = document.getElementById("verify-button");
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
    // The time of the check as the service saw it (its Date header), for the report.
    const served = new Date(response.headers.get("Date") || "");
    const checkedAt = Number.isNaN(served.getTime()) ? new Date() : served;
    lastResult = { kind, body, checkedAt };
    render(kind, body, checkedAt);
    document.getElementById("result-heading").focus();
  } catch (error) {
    showMessage(t("failed", { detail: error.message }));
  } finally {
    button.disabled = false;
    button.textContent = t("verify");
  }
}

// --- asking the worker's wallet --------------------------------------------------------------

let polling = null;

function stopPolling() {
  if (polling) clearTimeout(polling);
  polling = null;
}

function askBody(purpose) {
  const body = purpose ? { purpose } : {};
  if (document.getElementById("ask-format").value === "dc+sd-jwt") {
    // Only the details the employer ticked: the wallet shows those and no more.
    const claims = [...document.querySelectorAll("#ask-claims input[name=claim]:checked")]
      .map((box) => box.value.split("."));
    body.query = { format: "dc+sd-jwt", skills: [{ id: "skill", claims: claims.length ? claims : [["skill"]] }] };
  }
  return body;
}

async function ask(purpose) {
  stopPolling();
  const status = document.getElementById("ask-status");
  const button = document.getElementById("ask-button");
  status.textContent = "";
  button.disabled = true;
  try {
    const response = await fetch(new URL("presentation-requests", new URL("/", window.location.href)), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(askBody(purpose)),
    });
    const body = await response.json();
    if (response.status !== 201) {
      status.textContent = t("askFailed", { detail: body.detail || response.statusText });
      return;
    }
    for (const [name, uri] of [["openid4vp", body.openid4vpRequest], ["vcapi", body.vcapiRequest]]) {
      const image = document.getElementById("qr-" + name);
      image.src = body.qrCodes[name];
      image.alt = t(name === "openid4vp" ? "qrOpenid4vpAlt" : "qrVcapiAlt");
      image.dataset.request = uri;
      document.getElementById("link-" + name).href = uri;
    }
    document.getElementById("ask-codes").hidden = false;
    status.textContent = t("askWaiting", { when: formatMoment(new Date(body.expires)) });
    poll(body.resultUrl, 0);
  } catch (error) {
    status.textContent = t("askFailed", { detail: error.message });
  } finally {
    button.disabled = false;
  }
}

function poll(resultUrl, delay) {
  polling = setTimeout(async () => {
    const status = document.getElementById("ask-status");
    let response;
    try {
      response = await fetch(resultUrl, { headers: { "Accept": "application/json" }, cache: "no-store" });
    } catch (error) {
      poll(resultUrl, 2000);  // the network hiccuped; the request is still open
      return;
    }
    if (response.status === 202) {
      const waiting = await response.json();
      if (waiting.status === "verifying") status.textContent = t("askVerifying");
      poll(resultUrl, 1500);
      return;
    }
    polling = null;
    document.getElementById("ask-codes").hidden = true;
    if (response.status !== 200) {
      status.textContent = t("askExpired");
      return;
    }
    const body = await response.json();
    status.textContent = "";
    const served = new Date(response.headers.get("Date") || "");
    const checkedAt = Number.isNaN(served.getTime()) ? new Date() : served;
    lastResult = { kind: "presentation", body, checkedAt };
    render("presentation", body, checkedAt);
    document.getElementById("result-heading").focus();
  }, delay);
}

function readFile(file) {
  const reader = new FileReader();
  reader.onload = () => {
    document.getElementById("document").value = reader.result;
    // The text is there for who wants it, out of the way of the result.
    document.getElementById("paste").open = false;
    verify(String(reader.result));
  };
  reader.readAsText(file);
}

function setLanguage(next) {
  language = TEXT[next] ? next : "en";
  document.documentElement.lang = language;
  try { localStorage.setItem("skillcred-language", language); } catch (error) { /* private mode */ }
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language));
  }
  document.title = t("title") + " — skillcred";
  if (lastResult) render(lastResult.kind, lastResult.body, lastResult.checkedAt);
}

document.addEventListener("DOMContentLoaded", () => {
  let saved = null;
  try { saved = localStorage.getItem("skillcred-language"); } catch (error) { /* private mode */ }
  const preferred = saved || ((navigator.language || "en").toLowerCase().startsWith("nl") ? "nl" : "en");
  setLanguage(preferred);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  document.getElementById("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask(document.getElementById("ask-purpose").value.trim());
  });
  document.getElementById("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    verify(document.getElementById("document").value);
  });
  document.getElementById("file").addEventListener("change", (event) => {
    if (event.target.files && event.target.files[0]) readFile(event.target.files[0]);
  });
  document.getElementById("print-button").addEventListener("click", () => window.print());
  document.getElementById("again-button").addEventListener("click", () => {
    document.getElementById("input").scrollIntoView();
    document.getElementById("file").focus();
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
