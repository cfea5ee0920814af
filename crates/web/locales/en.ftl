# Ticorr interface text (English)

brand = Ticorr — public service platform for anti-corrosion of titanium heating equipment
brand-short = Ticorr
skip-to-content = Skip to content
nav-label = Main navigation
nav-home = Home
nav-directory = Directory
nav-industries = Industry service profiles
nav-equipment = Equipment
nav-org = My organisation
nav-people = People
nav-tokens = API tokens
nav-verification = Verification
nav-privacy = Desensitize
lang-zh = 中文
lang-en = English
sign-in = Sign in
sign-out = Sign out
register = Register an organisation
footer-levels = Data is kept at four levels: L1 private to the enterprise, L2 shared with the park, L3 industry-public (desensitized), L4 macro statistics; every access is decided by one policy engine and written to the audit log.
footer-api = API reference
back-home = Back to the home page
org-pending-banner = Your organisation's registration is waiting for the operator's verification. Until then you can see your organisation's profile and manage its people.

# Common
all = All
choose = Choose…
choose-optional = Choose (optional)
none = None
yes = Yes
no = No
unknown = Unknown
save = Save
edit = Edit
delete = Delete
next-page = Next page
no-results = Nothing matches.
filter-text = Text
filter-apply = Filter
form-has-errors = Some fields need your attention; see the marked fields below.
source = Source
estimate = estimate

# Home
home-title = Public service platform for anti-corrosion of titanium heating equipment
home-lead = Titanium heat exchangers, condensers, electric and immersion heaters serve chlor-alkali, electroplating, desalination, power and chemical plants. Standards, failure cases, test capacity, experts and compliance know-how are scattered over single enterprises and institutions, and small enterprises repeat the same corrosion accidents. Ticorr pools that knowledge under strict data levels and pushes the right standards, warnings, experts and training to each enterprise.
home-free-title = Free public services
home-free-directory = Find verified equipment manufacturers, inspection and cleaning service institutions, parks, associations and research institutes.
home-free-industries = Typical service conditions, process media and screening points of titanium heating equipment by industry (GB/T 4754), with sources and estimates marked.
home-free-api = The open API for digital twins, park sensor networks and enterprise systems, browsable offline.
home-yours-title = Your workspace
home-levels-title = Four levels of data protection
home-members-title = Members
home-members-total = { $count } verified organisations:
col-level = Level
col-who-reads = Who may read
level-private = private
level-park = park
level-industry = industry
level-macro = macro
level-public = public
level-private-who = the owning organisation only
level-park-who = the park's management and the enterprises settled in the same park
level-industry-who = every registered, verified user (desensitized data)
level-macro-who = regulators and research institutions (statistics only, with differential privacy)
level-public-who = anyone, without an account

# Directory and organisations
directory-intro = Organisations verified by the platform. Name, kind, region and industry are public.
field-org-name = Organisation name
field-org-name-en = English name (optional)
field-org-kind = Kind
field-uscc = Unified social credit code
field-region = Region
field-industry = Industry
field-parks = Parks settled in
field-address = Address
field-status = Status
field-status-reason = Review note
field-registered-at = Registered
org-kind-enterprise = Enterprise
org-kind-manufacturer = Equipment manufacturer
org-kind-park = Park management
org-kind-service_institution = Service institution
org-kind-regulator = Regulator
org-kind-association = Industry association
org-kind-operator = Platform operator
org-kind-research = Research institute
org-status-pending = Pending
org-status-verified = Verified
org-status-rejected = Rejected
org-status-suspended = Suspended

# Industry reference
industries-intro = GB/T 4754-2017 industry classes relevant to titanium heating equipment, with the typical service of their equipment. The ranges are for first screening and do not replace site data.
industries-draft = Status of the data:
col-code = Code
col-name = Name
col-role = Role
industry-role-end_user = Uses the equipment
industry-role-manufacturer = Makes titanium
industry-role-equipment_maker = Makes equipment
profile-title = Typical service
profile-english-note = Source ids are in brackets; values marked "estimate" are reasoned estimates, not measured or standard values: use site data.
profile-equipment = Typical equipment
profile-media = Process media
profile-ranges = Typical ranges
profile-screening = Screening points
profile-sources-note = Source ids (S1…S63) refer to the reference list of the platform's titanium corrosion knowledge base.
profile-none = This class makes equipment; it has no service of its own.
col-parameter = Parameter
col-min = Min
col-max = Max
col-applies-to = Applies to
col-basis = Basis

# Sign-in and registration
login-title = Sign in
field-email = E-mail
field-password = Password
login-failed = The e-mail address or password is not correct.
login-throttled = Too many failed sign-ins. Try again in { $seconds } seconds.
login-no-account = No account yet?
register-title = Register an organisation
register-intro = The platform operator verifies every organisation. Until then you can sign in and see the status.
register-org = Organisation
register-admin = Administrator account
register-submit = Register
register-done-title = Registration received
register-done = The platform operator will check your organisation's details. Once verified you can use everything; until then you can sign in with the e-mail and password you chose to see the status.
field-person-name = Name
field-new-password = New password
field-current-password = Current password
field-initial-password = Initial password
hint-uscc = 18 characters; the check character is verified.
hint-industry = Required for enterprises and manufacturers.
hint-parks = Enterprises only; hold Ctrl to choose several.
hint-password = At least 12 characters; a sentence you remember works well.
hint-initial-password = Tell the person their initial password and ask them to change it after signing in.

# Account
account-title = My account
field-role = Role
field-capacities = Platform capacities
role-admin = Admin
role-member = Member
capacity-expert = Expert
capacity-reviewer = Reviewer
capacity-examiner = Examiner
capacity-candidate = Candidate
sessions-title = Sessions
sessions-intro = These browsers and clients are signed in. If you do not recognise one, end it and change your password.
col-signed-in = Signed in
col-last-seen = Last active
col-ends = Ends
col-client = Client
col-actions = Actions
session-current = this one
session-end = End
password-title = Change password
password-submit = Change password
done-password = Your password was changed and your other sessions were ended.
done-session-ended = The session was ended.

# People
person-active = Active
person-disabled = Disabled
person-no-password = no password set
person-you = (you)
person-change-role = Change role
person-disable = Disable
person-enable = Enable
person-add-title = Add a person
person-add = Add
done-person-added = The person was added.
done-person-changed = The person was updated.

# Tokens
tokens-intro = API tokens let digital twins, park sensor networks and enterprise systems call the platform. A token acts as the person who issued it, only for the actions chosen; it is shown once and stops working when it expires or is revoked.
col-prefix = Prefix
col-scopes = Allowed actions
col-last-used = Last used
token-active = Active
token-expired = Expired
token-revoked = Revoked
token-revoke = Revoke
token-issue-title = Issue a token
token-issue = Issue
token-issued = The token "{ $name }" was issued. Copy it now; it cannot be shown again:
token-secret = Token
tokens-none = No tokens have been issued.
field-token-days = Valid for (days)
done-token-revoked = The token was revoked.
action-read = read
action-create = create
action-update = update
action-delete = delete

# Verification
verification-intro = New registrations, oldest first. Check the unified social credit code, region and industry, then decide.
verification-empty = No organisation is waiting for verification.
verification-verify = Verify
verification-reject = Reject
verification-reason = Reason for rejecting
verification-reason-required = Say why the registration is rejected, so the organisation can correct it.
done-verified = The organisation was verified.
done-rejected = The rejection and its reason were recorded.

# Equipment
equipment-intro = Your organisation's titanium heating equipment and items your park shares (L2). Items are private to your organisation (L1) unless you share them.
equipment-new = Register an item
equipment-edit = Edit item
equipment-import = Import
equipment-export-csv = Export CSV
equipment-export-xlsx = Export Excel
equipment-identity = Identification
equipment-conditions = Operating conditions
equipment-conditions-hint = Names and units are those of the platform's corrosion risk model; the more you fill in, the better the risk assessment. Leave unknown values empty.
equipment-risk-inputs = Risk model inputs
equipment-risk-inputs-intro = The platform's risk assessment reads these inputs as they are (the risk model's own names); missing inputs make an assessment "incomplete", never "no risk".
equipment-version = version { $version }
field-tag = Tag
field-name = Name
field-equipment-type = Type
field-grade = Titanium grade
field-level = Data level
field-park = Park
field-manufacturer = Manufacturer
field-manufacturer-registered = Manufacturer (registered)
field-manufacturer-other = Manufacturer (name, if not registered)
field-commissioned = Commissioned
field-medium = Process medium
field-location = Location
field-temperature = Max. metal temperature (°C)
field-pressure = Operating pressure (MPa)
field-chloride = Chloride (mg/L)
field-fluoride = Free fluoride (mg/L)
field-ph = pH
field-velocity = Flow velocity (m/s)
field-galvanic = Galvanic partner
field-cp = Cathodic protection
field-cp-potential = Protection potential (V vs SCE)
field-crevice = Crevices present
field-deposits = Deposits or scale present
col-owner = Owner
col-value = Value
col-updated = Last changed
owner-you = yours
grade-other = other grade
equipment-type-shell_and_tube_heat_exchanger = Shell-and-tube heat exchanger
equipment-type-plate_heat_exchanger = Plate heat exchanger
equipment-type-condenser = Condenser
equipment-type-evaporator = Evaporator
equipment-type-immersion_heater = Immersion heater
equipment-type-electric_heater = Electric heater
equipment-type-coil = Coil
equipment-type-other = Other
galvanic-none = None
galvanic-carbon_steel = Carbon steel
galvanic-stainless_300 = 300-series stainless steel
galvanic-copper_alloy = Copper alloy
galvanic-zinc_or_aluminium_anode = Zinc or aluminium anode
galvanic-other = Other metal
done-created = The item was registered.
done-saved = Your changes were saved.
done-deleted = The item was deleted.
done-notes-saved = The private notes were saved and encrypted.
notes-title = Private notes
notes-intro = Repair costs, incidents, contacts: only people of your organisation read these notes, whatever the item is shared with. They are stored encrypted with your organisation's own key.
notes-label = Notes
notes-save = Save notes
notes-erased = Your organisation's encryption key was destroyed, so these notes can no longer be read by anyone.
import-intro = Upload a CSV (UTF-8) or Excel (.xlsx) file whose header uses the template's column names (Chinese headers are accepted too). Rows are matched by tag: existing items are updated, the others created. An import is all or nothing: if any row has a problem, nothing is imported and every problem is listed by row.
import-template = Download the import template (CSV)
import-file = File
import-file-hint = .csv or .xlsx, up to 10,000 rows.
import-submit = Import
import-no-file = Choose a file to import.
import-done = Imported { $rows } rows:
import-created = { $count } created,
import-updated = { $count } updated.
import-see-list = See the equipment list
import-rejected = The file has { $count } problem(s); nothing was imported. Correct them and upload again:
col-row = Row
col-field = Field
col-problem = Problem

# Errors
error-not-found-title = Not found
error-not-found = The page or record does not exist, or you may not see it.
error-forbidden-title = Not allowed
error-forbidden = You may see this, but not do this to it.
error-csrf-title = The form expired
error-csrf = The form has expired or came from another site. Go back, reload the page and submit again.
error-conflict-title = Conflict
error-bad-request-title = Bad request
error-internal-title = Server error
error-internal = The server failed to handle the request; the problem was logged. Please try again later.
error-body-too-large = What you sent is too large.
error-bad-cursor = The page link is not valid; start again from the first page.
error-bad-decision = Unknown decision.

# Field errors
field-error-required = Required.
field-error-too_long = Too long.
field-error-too_short = Too short: use at least 12 characters.
field-error-unknown_value = Not one of the allowed values; choose from the list.
field-error-out_of_range = Outside the plausible range; check the unit.
field-error-not_a_number = Enter a number.
field-error-invalid = Not in the expected format.
field-error-taken = Already in use.
field-error-not_allowed = This value is not allowed.
field-error-in_future = The date cannot be in the future.
field-error-inconsistent = Contradicts another field: a protection potential is given but cathodic protection is "No".
field-error-unknown_field = No such field.
field-error-wrong = The current password is not correct.

privacy-title = Desensitize before sharing
privacy-intro = Paste a failure report, an inspection note or an e-mail. The platform finds identifying details (credit codes, identity numbers, phone numbers, e-mail, bank cards, plates, addresses, coordinates, people, organisations, contract numbers, amounts) and shows what it would replace and why. Titanium grades, standard numbers, temperatures and concentrations stay as they are.
privacy-label = Text to check
privacy-run = Desensitize
privacy-result = Desensitized text
privacy-report = { $count ->
    [one] One redaction
   *[other] { $count } redactions
}
privacy-none = Nothing identifying was found.
privacy-col-kind = Found
privacy-col-original = Original
privacy-col-replacement = Replaced by
privacy-col-reason = Why
privacy-nothing-stored = Nothing you paste here is stored; each use is counted for your organisation.
privacy-empty = Paste some text first.
privacy-usage = Your organisation has used this tool { $count ->
    [one] once
   *[other] { $count } times
} this month.

field-ledger = Ledger
ledger-entry = entry { $index }
ledger-entry-link = entry
ledger-bundle-link = proof bundle for offline verification
ledger-explain = The latest verification decision on this organisation is anchored in the platform's tamper-evident ledger. Anyone can check it offline with `ticorr ledger verify-proof` and the log key from /api/v1/ledger/key.

## Search
nav-search = Search
search-title = Search
search-label = Search the platform
search-placeholder = e.g. titanium heat exchanger crevice corrosion
search-go = Search
search-type-label = Record type
search-type-all = All types
search-type-equipment = Equipment
search-facets = Narrow the results
search-facet-equipment_type = Equipment type
search-facet-grade = Titanium grade
search-facet-region = Province
search-facet-industry = Industry
search-facet-level = Data level
search-facet-year = Year commissioned
search-facet-mechanism = Damage mechanism of concern
search-total = { $count ->
    [one] One record you may see matches.
   *[other] { $count } records you may see match.
}
search-understood = Searched as concepts, in both languages:
search-unverified = equivalence unverified
search-none = Nothing you may see matches. Try fewer words, or remove a filter.
search-pages = Result pages
search-first = First page
search-next = Next page
search-failed = The search could not be run just now. Try again in a moment.
search-scope-note = Results, totals and facet counts only include records your organisation may see under the data levels. Equipment is found by the damage mechanisms its recorded conditions make relevant (crevices, deposits, a galvanic partner, fluoride, cathodic protection), not by an assessment.

# Background jobs
nav-jobs = Jobs
job-title = Background job
job-kind = Kind
job-state = Status
job-attempts = Attempts
job-progress = Progress
job-last-error = Last error
job-created = Started
job-finished = Finished
job-refresh = Refresh
job-result-link = See the result
job-status-link = Status page
job-status-queued = Waiting
job-status-running = Running
job-status-done = Done
job-status-dead = Failed
job-note-checking = rows checked
job-note-writing = writing
import-running = The import is running. Rows checked:
import-failed = The import could not be carried out; the platform operator has been shown the job.
operator-jobs-intro = Jobs that failed for good (dead) and jobs whose last attempt failed and that will be tried again. A dead job runs again only when you retry it.
operator-jobs-troubled = Failed jobs
operator-jobs-empty = No job has failed.
operator-jobs-retry = Retry
operator-jobs-not-dead = Only a job that failed for good can be retried.
done-job-retried = The job was queued again with a fresh set of attempts.
operator-schedules = Recurring jobs
operator-schedules-empty = No recurring job is declared.
schedule-cron = Schedule (cron, UTC)
schedule-next = Next run
schedule-last = Last run
schedule-enabled = Enabled
