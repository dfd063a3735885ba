#!/usr/bin/env python3
"""Bootstrap `schema/` from the reference catalogue in /work/shared/reference/.

Run:  .venv/bin/python tools/import_reference.py --schema /tmp/seeded [--reference DIR]

The catalogue is a set of facts (names, wire types, numbers, evidence). This script turned those facts into the
YAML files described by schema/README.md once, writing every description from our own rules and tables (never
from vendor text), checking cross-references and printing counts. It is kept so that the seeding stays
reviewable and can be re-run into a scratch folder to compare with a newer catalogue.

Since then `schema/` is the source of truth and is maintained by hand: the script refuses to overwrite a schema
folder that already has an api.yaml unless --force is given (which would discard those edits).
`python -m generator coverage` is the ongoing check against the catalogue.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

# ----------------------------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------------------------

SECTIONS = {
    "api": ("API Definitions", "Connection-level definitions: the frame envelope, keep-alive, subscriptions, timezones "
                               "and the small reference and result shapes shared by every section."),
    "assets": ("Assets", "Tracked things (vehicles, trailers, people and generic assets) and their general, advanced "
                         "and dispatch parts."),
    "behaviours": ("Behaviours", "Server-side scripts that react to asset activity, the behaviours that run them, and "
                                 "their logs."),
    "billing": ("Billing", "Billing profiles, hosting rules, licences, discounts and billing reports (older API "
                           "surface; request shapes are not confirmed)."),
    "companies": ("Companies", "Companies (accounts) and their general, directory, style and policy parts, plus the "
                               "session and password policies they enforce."),
    "white_labelling": ("White-labelling", "Reseller branding of a company: service name, logos, colours, "
                                           "notification servers and terms."),
    "dispatch": ("Dispatch", "Dispatch jobs with their steps and directions, and the older dispatch tasks."),
    "file_hosting": ("File Hosting", "Stored files: documents, pictures, icons, form templates and filled-in forms, and "
                                     "dashcam media."),
    "maintenance": ("Maintenance", "Maintenance schedules for assets and the maintenance jobs they produce."),
    "messaging": ("Messaging", "Messages and alerts exchanged with assets and their drivers."),
    "places": ("Places", "Named geographic places (points, circles, polygons and rectangles)."),
    "providers": ("Providers and Configurations", "Tracking devices (providers), their parts, configurations, "
                                                  "scripts and registrations."),
    "reports": ("Reports", "Report templates, schedules and results."),
    "self": ("Self", "Commands about the caller's own session: login, logout, session details and own profile "
                     "updates."),
    "users": ("Users and Groups", "Users and their parts, user groups, permissions, contacts, machines (API keys) "
                                  "and sessions."),
    "hos": ("Hours of Service", "Retired electronic logging (hours of service) objects kept for completeness; the "
                                "server no longer offers them."),
    "analytics": ("Real-time Analytics", "Retired real-time analytics objects kept for completeness; the server no "
                                         "longer offers them."),
}

CATALOGUE_SECTION = {
    "API Definitions": "api", "API Definitions (socket)": "api", "Assets": "assets", "Behaviours": "behaviours",
    "Billing": "billing", "Companies": "companies", "White-labelling": "white_labelling", "Dispatch": "dispatch",
    "File Hosting": "file_hosting", "Maintenance": "maintenance", "Messaging": "messaging", "Places": "places",
    "Providers and Configurations": "providers", "Reports": "reports", "Self": "self", "Users and Groups": "users",
    "Contacts": "users", "Hours of Service": "hos", "Real-time Analytics": "analytics",
}

ALLOWED_EVIDENCE = ["v4.17.5-ref-list", "code-literal", "source", "getting-started-article", "newer-wss-ref",
                    "client-method-name", "ts-v5-derived", "ts-v5-class", "derived", "uncertain",
                    "subscription-type-enum", "inferred", "code-comment"]

INT_FORMATS = {"byte", "short", "ushort", "int", "uint", "long", "ulong"}
NUM_FORMATS = {"float", "double"}
STR_FORMATS = {"datetime", "timespan", "codified", "colour", "email", "guid", "expression", "ipv4", "ipendpoint",
               "polyline", "url"}

# Types the catalogue references but could not retrieve: the field stays untyped (or a plain string for the enum).
UNRETRIEVED = {
    "BillingReportBreakdown": "object", "BillingReportSummary": "object", "ReportScorecard": "object",
    "ReportScorecardRules": "object", "SsoEnforcement": "string",
}

# ----------------------------------------------------------------------------------------------------------------
# Small text helpers
# ----------------------------------------------------------------------------------------------------------------

ACRONYMS = {"gps", "io", "vbus", "rpm", "sms", "ip", "id", "ota", "obd", "pto", "vin", "dtc", "mil", "can", "ecu",
            "rssi", "hos", "gsm", "apn", "gcm", "pnd", "sso", "mfa", "idp", "idps", "url", "html", "utc", "kb", "dst",
            "snf", "imei", "esn", "sim", "iccid", "ble", "hdop", "vdop", "pdop", "ack", "ac", "dc", "usb"}


def words(name: str) -> list[str]:
    if name.isupper() or "_" in name:
        parts = [p for p in re.split(r"[_\s]+", name) if p]
    else:
        parts = re.findall(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", name)
    return parts


def human(name: str) -> str:
    """`messagingAddress` -> `messaging address`; `ANALOG_INPUT_0` -> `analog input 0`; `lastIP` -> `last IP`."""
    out = []
    for w in words(name):
        lw = w.lower()
        out.append(w.upper() if lw in ACRONYMS else (w if (w.isupper() and len(w) > 1 and not name.isupper()) else lw))
    return " ".join(out)


def label(type_name: str) -> str:
    """`BehaviourScript` -> `behaviour script`."""
    return human(type_name)


def plural(text: str) -> str:
    if text.endswith("y") and not text.endswith(("ay", "ey", "oy")):
        return text[:-1] + "ies"
    if text.endswith(("ch", "sh", "s", "x")):
        return text + "es"
    return text + "s"


def article(text: str) -> str:
    return ("an " if text[:1].lower() in "aeiou" else "a ") + text


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def camel(type_name: str) -> str:
    return type_name[:1].lower() + type_name[1:]


# ----------------------------------------------------------------------------------------------------------------
# Hand-written type descriptions (every catalogue type, plus our derived and SDK helper types)
# ----------------------------------------------------------------------------------------------------------------

TYPE_DESC = {
    # users
    "User": "A person who can log in, keyed by the email login; the composite of the user's general, advanced, "
            "authentication and setting parts.",
    "UserGeneral": "The descriptive part of a user: nickname, contact card, language, timezone, display formats and "
                   "notification rules.",
    "UserAdvanced": "The security part of a user: the groups it belongs to and the permissions granted directly to it.",
    "UserAuthentication": "The sign-in part of a user: password expiry state, multi-factor methods and single sign-on "
                          "link.",
    "UserSetting": "The free-form settings part of a user, a map of named option strings kept for client applications.",
    "UserState": "The same settings part as UserSetting under the name used by the C# libraries.",
    "UserGroup": "A named group of users and machines that share a set of permissions.",
    "Permission": "One permission rule: grants or revokes a level of access to one kind of object in one company, "
                  "optionally limited to labelled objects.",
    "UserNotifications": "A notification rule of a user: when (weekdays and hours) and how (popup, SMS, email) the "
                         "user wants to be alerted, online or offline.",
    "UserMFA": "One multi-factor authentication method registered by a user.",
    "UserSSO": "The single sign-on identity linked to a user.",
    "Machine": "A machine account (API key) that connects without a password, keyed by its key, with its own "
               "permissions and access restrictions.",
    "Session": "Someone's login session as seen by an administrator, keyed by its handle.",
    "SessionHandle": "The 2018 description of a login session handle (who, from where, since when, how many sockets).",
    "Contact": "A contact card: a person's names, email addresses, phone numbers, postal addresses and other details.",
    "ContactDeleted": "Payload of the message announcing that a contact was deleted.",
    "UserDeleted": "Payload of the message announcing that a user was deleted.",
    "UserGroupDeleted": "Payload of the message announcing that a user group was deleted.",
    "MachineDeleted": "Payload of the message announcing that a machine was deleted.",
    # companies
    "Company": "A company (account) in the hierarchy of companies; the composite of its general, directory, style, "
               "policy and reseller parts.",
    "CompanyGeneral": "The descriptive part of a company: name, notes and references, and its parent company.",
    "CompanyDirectory": "The directory part of a company: named lists of the people (contacts) working for it.",
    "CompanyStyle": "The style part of a company: how its labels and tags are named and coloured.",
    "CompanyPolicy": "The policy part of a company: the session, password, multi-factor and single sign-on rules its "
                     "users must follow.",
    "SessionPolicy": "Rules for the login sessions of a company's users: allowed applications and networks, multiple "
                     "logins, idle behaviour and expiry.",
    "PasswordPolicy": "Rules for the passwords of a company's users: minimum length, required character classes and "
                      "when passwords expire.",
    "MultiFactorPolicy": "Rules for multi-factor authentication in a company: whether it is required, which methods "
                         "are allowed, code length and validity.",
    "SsoPolicy": "Rules for single sign-on in a company: whether it is enforced, which identity providers are "
                 "allowed and how long such sessions last.",
    "LabelStyle": "How one label or tag is shown: display name, codified code, colours, graphic and notes.",
    "CompanyDeleted": "Payload of the message announcing that a company was deleted.",
    # white-labelling
    "CompanyReseller": "The reseller (white-label) part of a company: the brand, web addresses, colours, notification "
                       "servers and terms it presents to its own customers.",
    "ColourStyle": "A pair of colours (fill and outline) used by a white-label theme.",
    "NotificationServerEmail": "The incoming and outgoing mail servers a reseller uses for notifications.",
    "NotificationServerSms": "The SMS numbers and limits a reseller uses for notifications.",
    "CompanyResellerDeleted": "Payload of the message announcing that a company's reseller part was deleted.",
    # assets
    "Asset": "A tracked thing (vehicle, trailer, person or generic asset); the composite of its general, advanced and "
             "dispatch parts.",
    "AssetGeneral": "The descriptive part of an asset, which seldom changes: kind, name, icon, labels, references and "
                    "kind-specific details such as VIN or plate.",
    "AssetAdvanced": "The live part of an asset, which changes often: position, odometer, engine hours, tags, "
                     "attributes, linked providers and place status.",
    "AssetDispatch": "The dispatch part of an asset: its assigned dispatch jobs and the driving directions between "
                     "them.",
    "AssetAttribute": "One named attribute value of an asset, usually decoded from device data.",
    "AssetPlaceStatus": "Whether an asset is entering, inside or leaving one place, and since when.",
    "AssetDeleted": "Payload of the message announcing that an asset was deleted.",
    "PersonGeneral": "The 2018 view of the general part of a person asset.",
    "VehicleGeneral": "The 2018 view of the general part of a vehicle asset.",
    "TrailerGeneral": "The 2018 view of the general part of a trailer asset.",
    "VehicleAdvanced": "The 2018 view of the advanced part of a vehicle asset.",
    # geometry and api
    "Position": "A reported location: coordinates, time, speed, heading, altitude, accuracy and the resolved street "
                "address.",
    "LatLng": "A latitude/longitude pair in decimal degrees.",
    "LatLngBounds": "A rectangle on the map given by its north, south, east and west edges.",
    "Point": "A point in pixel coordinates (x, y).",
    "Size": "A width and height in pixels.",
    "Square": "A rectangle in pixel coordinates given by its four edges.",
    "StreetAddress": "A street address broken into its components.",
    "Timezone": "A timezone known to the server, referenced elsewhere by its code.",
    "BroadcastMaintenance": "The 2018 shape of a broadcast announcing a maintenance window.",
    "BroadcastUpgrade": "The 2018 shape of a broadcast announcing a server upgrade.",
    "SessionResponse": "The 2018 shape of the reply describing the current session.",
    "SocketResponse": "The 2018 shape of the common reply envelope.",
    "SocketRequest": "The 2018 shape of the common request envelope.",
    "Subscription": "The subscription types held for one company (2018 shape).",
    # places
    "Place": "A named geographic place: a point, a circle (radial), a polygon or a rectangle, with its style and "
             "address.",
    "PlaceDeleted": "Payload of the message announcing that a place was deleted.",
    # providers
    "Provider": "A tracking device (provider), keyed by its device identifier; the composite of its general, advanced "
                "and control parts.",
    "ProviderGeneral": "The descriptive part of a provider: name, kind, linked asset, configuration, firmware, phone "
                       "number and SIM.",
    "ProviderAdvanced": "The live part of a provider: last network address and the latest raw data it reported.",
    "ProviderControl": "The control part of a provider: the state of commands sent to the device.",
    "ProviderConfig": "A device configuration: the provider script it runs and the parameter values and geofences "
                      "given to it.",
    "ProviderScript": "A script that configures devices, made of blocks and parameters.",
    "ProviderScriptBlock": "One block of a provider script with its content, replacement and conditions.",
    "ProviderScriptParameter": "One parameter of a provider script with its kind, default value and notes.",
    "ProviderRegistration": "A pending registration of a new device, keyed by a short code that the device or "
                            "installer enters.",
    "ProviderData": "One raw value reported by a device, with its time and unit.",
    "ProviderCommand": "The state of one command sent to a device.",
    "ProviderConfiguration": "The older device configuration model (replaced by ProviderConfig and ProviderScript).",
    "ProviderConfigurationType": "A kind of device configuration in the older model: what options and geofences a "
                                 "device type accepts.",
    "ProviderConfigurationNode": "One option in the older device configuration model, possibly with nested options.",
    "GeofenceType": "A kind of geofence a device type supports in the older configuration model.",
    "CircularGeofence": "Limits for circular geofences in the older configuration model.",
    "PointGeofence": "Limits for point geofences in the older configuration model.",
    "PolygonGeofence": "Limits for polygon geofences in the older configuration model.",
    "RectangleGeofence": "Limits for rectangular geofences in the older configuration model.",
    "ProviderDeleted": "Payload of the message announcing that a provider was deleted.",
    "ProviderConfigurationDeleted": "Payload of the message announcing that an older-model configuration was deleted.",
    "ProviderConfigDeleted": "Payload of the message announcing that a provider configuration was deleted.",
    "ProviderScriptDeleted": "Payload of the message announcing that a provider script was deleted.",
    "ProviderRegistrationDeleted": "Payload of the message announcing that a provider registration was deleted.",
    # behaviours
    "Behaviour": "A behaviour: a behaviour script applied to selected assets with its own parameter values.",
    "BehaviourScript": "A script run by the server against asset activity; behaviours apply it to assets.",
    "BehaviourLog": "A line written by a behaviour script while it ran for an asset.",
    "BehaviourParameter": "One parameter of a behaviour or behaviour script with its kind, value and notes.",
    "BehaviourDeleted": "Payload of the message announcing that a behaviour was deleted.",
    "BehaviourScriptDeleted": "Payload of the message announcing that a behaviour script was deleted.",
    "BehaviourLogDeleted": "Payload of the message announcing that a behaviour log entry was deleted.",
    # dispatch
    "DispatchJob": "A dispatch job: ordered steps (stops) that an asset or driver must complete.",
    "DispatchStep": "One step (stop) of a dispatch job with its place, timing, notes and status history.",
    "DispatchStepState": "When a dispatch step reached one status and where the asset was.",
    "DispatchDirection": "Driving directions for one leg of an asset's dispatch route.",
    "DispatchTask": "The older single-stop dispatch task (replaced by DispatchJob).",
    "DispatchTaskDeleted": "Payload of the message announcing that a dispatch task was deleted.",
    "DispatchJobDeleted": "Payload of the message announcing that a dispatch job was deleted.",
    # maintenance
    "MaintenanceJob": "A maintenance job: work done (or due) on an asset, with cost, garage and technician.",
    "MaintenanceSchedule": "A maintenance schedule: recurring service rules by time, distance or engine hours for "
                           "targeted assets.",
    "MaintenanceInterval": "The last service and next due point of one asset under a maintenance schedule.",
    "MaintenanceJobDeleted": "Payload of the message announcing that a maintenance job was deleted.",
    "MaintenanceScheduleDeleted": "Payload of the message announcing that a maintenance schedule was deleted.",
    # messaging
    "MessageBase": "Fields shared by asset messages and asset alerts.",
    "AssetMessage": "A message sent to or received from an asset (SMS, email, in-cab device or app).",
    "AssetAlert": "An alert raised for an asset; the server sends these without a subscription.",
    "PndMessage": "The 2018 shape of a message exchanged with an in-cab navigation device.",
    "MessageDeleted": "Payload of the message announcing that an asset message was deleted.",
    # reports
    "ReportTemplate": "A report template: the kind of report and the options it runs with.",
    "ReportSchedule": "A schedule that runs a report template repeatedly and notifies people.",
    "ReportResult": "The result of one report run: status, progress, targeted assets and totals.",
    "ReportOptions": "Options of a report: parameters, targeted assets, places, regions and filtering.",
    "ReportRecurrence": "When a scheduled report repeats, and its last and next run windows.",
    "ReportNotifications": "Who is told when a scheduled report completes.",
    "ReportTotal": "A total for one asset in a report result.",
    "ReportParameter": "One parameter of a report with its kind and value.",
    "ReportBreakdown": "One instance in a report breakdown with the asset's state at that time.",
    "ReportBreakdownMessage": "A report breakdown instance that concerns a message.",
    "ReportBreakdownTask": "A report breakdown instance that concerns a dispatch task.",
    "ReportSummary": "A summarised span of activity for one asset in a report.",
    "ReportResultDeleted": "Payload of the message announcing that a report result was deleted.",
    "ReportTemplateDeleted": "Payload of the message announcing that a report template was deleted.",
    "ReportScheduleDeleted": "Payload of the message announcing that a report schedule was deleted.",
    # file hosting
    "Icon": "An icon used to draw assets and places, made of layered glyphs with optional label and badge.",
    "IconGlyph": "One image layer of an icon.",
    "IconLabel": "Where and how a text label or badge sits on an icon.",
    "Picture": "An uploaded picture with its size and focal areas.",
    "Document": "An uploaded document file.",
    "FormTemplate": "A form template: the fields a driver or user fills in.",
    "FormResult": "A filled-in form, with the values entered for its template's fields.",
    "FormFieldBase": "Fields shared by every kind of form field.",
    "Dashcam": "Dashcam media known to the server, keyed by a guid.",
    "DashcamLive": "A live dashcam stream known to the server.",
    "IconDeleted": "Payload of the message announcing that an icon was deleted.",
    "PictureDeleted": "Payload of the message announcing that a picture was deleted.",
    "DocumentDeleted": "Payload of the message announcing that a document was deleted.",
    "FormTemplateDeleted": "Payload of the message announcing that a form template was deleted.",
    "FormResultDeleted": "Payload of the message announcing that a form result was deleted.",
    # billing
    "BillingProfile": "A billing profile: who pays for a company's services, in which currency and on which cycle.",
    "BillableBase": "Fields shared by billable items: profile, product code, period and amount.",
    "BillingReport": "A billing report for one profile and period, with totals.",
    "BillableHostingRule": "A billable hosting rule: a recurring charge for a hosting service on targeted assets.",
    "BillableHostingLicense": "A billable hosting licence: a recurring charge for a third-party device licence.",
    "BillableHostingDiscount": "A billing discount on hosting services (never implemented; kept from 2018).",
    "BillableRatePlan": "A 2018 billable rate plan for data and SMS volumes.",
    "BillableReseller": "A 2018 billable reseller fee.",
    "BillableSmsProfile": "A 2018 SMS allowance with its price.",
    "BillableSupport": "A 2018 billable support plan.",
    "BillingProfileDeleted": "Payload of the message announcing that a billing profile was deleted.",
    "BillingReportDeleted": "Payload of the message announcing that a billing report was deleted.",
    "BillableHostingRuleDeleted": "Payload of the message announcing that a hosting rule was deleted.",
    "BillableHostingDiscountDeleted": "Payload of the message announcing that a hosting discount was deleted.",
    "BillableHostingLicenseDeleted": "Payload of the message announcing that a hosting licence was deleted.",
    # hos
    "HosCarrier": "A motor carrier for electronic logging (retired feature).",
    "HosEvent": "An electronic logging event such as a duty-status change (retired feature).",
    "HosInspection": "A vehicle inspection report (retired feature).",
    "HosInspectionDefect": "A defect found in a vehicle inspection (retired feature).",
    "HosCarrierDeleted": "Payload of the message announcing that a carrier was deleted (retired feature).",
    "HosInspectionDeleted": "Payload of the message announcing that an inspection was deleted (retired feature).",
    # analytics
    "AnalyticRule": "A real-time analytics rule (retired feature).",
    "AnalyticSummary": "A real-time analytics summary for an asset (retired feature).",
    "AnalyticOptions": "Options of a real-time analytics rule (retired feature).",
    "AnalyticParameter": "One parameter of a real-time analytics rule (retired feature).",
    # sdk helpers
    "IdKey": "A reference to an object by its numeric id.",
    "LoginKey": "A reference to a user by login.",
    "MachineKey": "A reference to a machine by key.",
    "HandleKey": "A reference to a session by handle.",
    "CodeKey": "A reference to an object by code (provider registrations, timezones).",
    "GuidKey": "A reference to an object by guid (dashcam media).",
    "ProviderKey": "A reference to a provider by its string device identifier.",
    "IdCompany": "Identifies an object and the company that owns it; the reply to merge commands.",
    "IdParent": "Identifies a company (or company part) and its parent company; the reply to company merges.",
    "IdCompanyDeleted": "Identifies an object, its company, whether it is now deleted and its new versions; the reply "
                        "to remove and restore commands.",
    "IdParentDeleted": "Identifies a company (or company part), its parent, whether it is now deleted and its new "
                       "versions.",
    "IdCompanySuspended": "Identifies an object, its company, whether it is now suspended and its new versions; the "
                          "reply to suspend and revive commands.",
    "IdDeleted": "Identifies an object, whether it is now deleted and its new versions (billing replies).",
    "LoginCompany": "Identifies a user by login and the company that owns it.",
    "LoginCompanyDeleted": "Identifies a user, its company, whether it is now deleted and its new versions.",
    "KeyCompany": "Identifies a machine by key and the company that owns it.",
    "KeyCompanyDeleted": "Identifies a machine, its company, whether it is now deleted and its new versions.",
    "ProviderIdCompany": "Identifies a provider by its string id and the company that owns it.",
    "ProviderIdCompanyDeleted": "Identifies a provider, its company, whether it is now deleted and its new versions.",
    "ProviderIdCompanySuspended": "Identifies a provider, its company, whether it is now suspended and its new "
                                  "versions.",
    "CodeCompany": "Identifies a provider registration by code and the company that owns it.",
    "CodeCompanyDeleted": "Identifies a provider registration, its company and whether it is now deleted.",
    "ErrorDetail": "Extra information about a failed command; `kind` says which other fields are present.",
    "SessionDetails": "Everything the server says about the current session: its ghost id and expiry, the server "
                      "clock, the logged-in user or machine and the policies that apply.",
    "Broadcast": "A notice the server sends to every connected client about planned maintenance or an upgrade.",
    "SessionEnded": "Tells the client that its session is over and it must not reconnect with the same ghost id.",
    "SubscriptionEntry": "The subscription types the session holds for one company.",
    "DispatchJobCancel": "What is sent to cancel a dispatch job: the job id, an optional reason and optional tags.",
    "DispatchJobChange": "What a driver's application sends to update a dispatch job and its steps.",
    "OwnContactUpdate": "The contact-card fields a user may change on their own contact.",
}


# ----------------------------------------------------------------------------------------------------------------
# Field descriptions: a hand table for the getting-started objects, then shared rules by field name, then by type
# ----------------------------------------------------------------------------------------------------------------

FIELD_GROUP = {
    "User": "user", "UserGeneral": "user", "UserAdvanced": "user", "UserAuthentication": "user", "UserSetting": "user",
    "UserState": "user", "UserDeleted": "user",
    "Company": "company", "CompanyGeneral": "company", "CompanyDirectory": "company", "CompanyStyle": "company",
    "CompanyPolicy": "company", "CompanyReseller": "company", "CompanyDeleted": "company",
    "Asset": "asset", "AssetGeneral": "asset", "AssetAdvanced": "asset", "AssetDispatch": "asset",
    "AssetDeleted": "asset",
    "Machine": "machine", "Session": "session", "SessionPolicy": "sessionPolicy", "PasswordPolicy": "passwordPolicy",
    "MultiFactorPolicy": "multiFactorPolicy", "SsoPolicy": "ssoPolicy",
}

GROUP_FIELDS = {
    "user": {
        "login": "Email address the user logs in with; it is the user's key and is stored in lower case.",
        "company": "Identifier of the company the user belongs to.",
        "enabled": "Whether the user may log in; a disabled user keeps its data but cannot start sessions.",
        "nickname": "Short friendly name shown instead of the login.",
        "contact": "Identifier of the contact card that holds the user's names, phones and addresses.",
        "timezone": "Code of the timezone used to show local times to this user (see Timezone).",
        "language": "Preferred language as a culture code such as en-US.",
        "formats": "Preferred display formats (dates, times, numbers), keyed by format name.",
        "measurements": "Preferred system of units for each kind of measurement, keyed by measurement name.",
        "notify": "Notification rules: when and how the user wants to be alerted.",
        "groups": "Identifiers of the user groups this user belongs to; the user gains their permissions.",
        "permissions": "Permissions granted or revoked for this user directly, on top of its groups.",
        "passwordExpired": "True when the user must change the password before doing anything else.",
        "mfa": "Multi-factor authentication methods registered by the user.",
        "sso": "The single sign-on identity linked to the user, if any.",
        "options": "Free-form settings kept for client applications, keyed by codified option name.",
        "deleted": "True once the user has been deleted; a deleted user can be restored.",
        "since": "When the user was deleted; absent while the user is active.",
        "v": "Version numbers of the user's parts, one per part in slot order (general, advanced, then "
             "authentication and setting where sent).",
    },
    "company": {
        "id": "Unique identifier of the company.",
        "parent": "Identifier of the parent company this company sits under.",
        "name": "Display name of the company.",
        "notes": "Free-form notes about the company.",
        "references": "Free-form key/value references for the company, such as an account number in another "
                      "system.",
        "employees": "Named lists of contact identifiers for the people who work for the company.",
        "directory": "Named lists of contact identifiers for the people who work for the company.",
        "sessionPolicy": "Rules for the login sessions of the company's users.",
        "passwordPolicy": "Rules for the passwords of the company's users.",
        "multiFactorPolicy": "Rules for multi-factor authentication of the company's users.",
        "ssoPolicy": "Rules for single sign-on of the company's users.",
        "labels": "How each label used in the company is named and coloured, keyed by codified label.",
        "tags": "How each tag used in the company is named and coloured, keyed by codified tag.",
        "reseller": "The company's white-label settings, when it resells the service.",
        "contactInfo": "Contact card identifiers for the reseller's own contacts, keyed by role.",
        "serviceName": "Name of the service as the reseller's customers see it.",
        "logo": "Address or name of the logo image shown to the reseller's customers.",
        "icon": "Address or name of the small icon (browser tab icon) of the branded service.",
        "favourite": "Address or name of the bookmark icon of the branded service.",
        "domain": "Web domain the branded service is reached at.",
        "website": "Web addresses of the reseller, keyed by purpose.",
        "graphics": "Other branded images, keyed by purpose.",
        "languages": "Languages the branded service offers.",
        "gamut": "Theme colours of the branded service, keyed by theme element.",
        "notifyEmail": "Mail servers used to send and receive notification email for the reseller.",
        "notifySms": "SMS numbers and limits used for the reseller's notifications.",
        "termsPreamble": "Text shown above the terms of service.",
        "termsUpdated": "When the terms of service last changed; users may have to accept them again.",
        "recoverSubject": "Subject line of the password recovery email.",
        "recoverBody": "Body of the password recovery email.",
        "recoverIsHtml": "Whether the password recovery email body is HTML rather than plain text.",
        "deleted": "True once the company has been deleted; a deleted company can be restored.",
        "since": "When the company was deleted; absent while it is active.",
        "v": "Version numbers of the company's parts in slot order: general, reserved, directory, style, policy, "
             "reseller.",
    },
    "asset": {
        "id": "Unique identifier of the asset.",
        "company": "Identifier of the company that owns the asset.",
        "kind": "What the asset is: a vehicle, trailer, person or generic asset.",
        "name": "Display name of the asset.",
        "notes": "Free-form notes about the asset.",
        "icon": "Identifier of the icon used to draw the asset on maps and in lists.",
        "labels": "Codified labels that group the asset for targeting, permissions and filtering.",
        "pictures": "Identifiers of pictures of the asset.",
        "messagingAddress": "Address used to send messages to the asset, such as an email address or phone number.",
        "references": "Free-form key/value references for the asset, such as a fleet number in another system.",
        "contact": "For a person asset, the identifier of the person's contact card.",
        "vin": "For a vehicle, its vehicle identification number.",
        "engineHours": "For a vehicle, total engine running time in hours.",
        "serial": "For a trailer, its serial number.",
        "plate": "For a vehicle or trailer, its licence plate.",
        "make": "For a vehicle or trailer, its manufacturer.",
        "model": "For a vehicle or trailer, its model.",
        "year": "For a vehicle or trailer, its model year.",
        "colour": "For a vehicle or trailer, its body colour as a CSS colour.",
        "position": "The last known position of the asset.",
        "odometer": "Distance the asset has travelled, as last reported.",
        "tags": "Codified tags currently set on the asset, usually by behaviours or devices.",
        "attributes": "Latest named attribute values of the asset, keyed by codified attribute name.",
        "providers": "Identifiers of the providers (devices) that report for the asset.",
        "relationships": "Identifiers of other assets linked to this one, such as a trailer pulled by a truck.",
        "places": "The asset's status against places, keyed by place identifier.",
        "dispatch": "The asset's dispatch part: assigned jobs and directions.",
        "jobs": "Identifiers of the dispatch jobs assigned to the asset, in order.",
        "directions": "Driving directions along the asset's dispatch route.",
        "lastDispatched": "When the asset was last given a dispatch job.",
        "deleted": "True once the asset has been deleted; a deleted asset can be restored.",
        "suspended": "True while the asset is suspended: kept, but its devices' data is not processed.",
        "since": "When the asset was deleted or suspended; absent while it is active.",
        "v": "Version numbers of the asset's parts in slot order: general, advanced, dispatch.",
    },
    "machine": {
        "key": "Public key of the machine account; it identifies the machine.",
        "company": "Identifier of the company the machine belongs to.",
        "enabled": "Whether the machine may connect.",
        "secret": "Shared secret the machine uses to sign its connection; only sent when it is set or changed.",
        "nickname": "Friendly name of the machine.",
        "notes": "Free-form notes about the machine.",
        "notBefore": "The machine may not connect before this time.",
        "notAfter": "The machine may not connect after this time.",
        "timezone": "Code of the timezone used for the machine's local times (see Timezone).",
        "language": "Language for texts the server produces for the machine, as a culture code.",
        "formats": "Display formats used for the machine, keyed by format name.",
        "measurements": "System of units for each kind of measurement, keyed by measurement name.",
        "groups": "Identifiers of the user groups the machine belongs to; it gains their permissions.",
        "permissions": "Permissions granted or revoked for the machine directly.",
        "services": "Addresses of the services the machine may call.",
        "referrers": "Web addresses the machine's connections may come from.",
        "ipRanges": "Networks (IPv4 addresses or CIDR ranges) the machine may connect from.",
        "insecure": "Whether the machine may authenticate without signing requests.",
        "deleted": "True once the machine has been deleted; a deleted machine can be restored.",
        "since": "When the machine was deleted; absent while it is active.",
        "v": "Version number of the machine, as a one-element array.",
    },
    "session": {
        "handle": "Handle that identifies the session (not the secret ghost id).",
        "company": "Identifier of the company of the session's user or machine.",
        "userAgent": "Client application name the session reported.",
        "sockets": "Number of sockets currently connected with this session.",
        "login": "Login of the user the session belongs to.",
        "status": "Current state of the session.",
        "created": "When the session was created.",
        "expiry": "When the session expires unless it is used again.",
        "lastCommand": "Name of the last command the session sent.",
        "lastActivity": "When the session was last used.",
    },
    "sessionPolicy": {
        "applications": "Client application names allowed to log in; empty allows all.",
        "ipv4Ranges": "Networks (IPv4 addresses or CIDR ranges) users may log in from; empty allows all.",
        "multiUser": "What happens when a user who already has a session logs in again.",
        "idleAllowed": "Whether sessions stay alive while idle.",
        "expireTimeout": "How long an unused session stays valid before it expires.",
        "maxSessions": "Largest number of concurrent sessions a user may have.",
    },
    "passwordPolicy": {
        "minimumLength": "Smallest number of characters a password may have.",
        "includeLetters": "Whether a password must contain letters.",
        "includeNumbers": "Whether a password must contain digits.",
        "includeUpperLower": "Whether a password must mix upper- and lower-case letters.",
        "includeSpecial": "Whether a password must contain a symbol.",
        "expireMode": "What makes passwords expire: never, a number of days or a number of sessions.",
        "expireThreshold": "How many days or sessions a password lasts, depending on expireMode.",
    },
    "multiFactorPolicy": {
        "enforcement": "Whether multi-factor authentication is off, optional or required.",
        "kinds": "Multi-factor methods users may register.",
        "length": "Number of digits in a one-time code.",
        "timeout": "How long a one-time code stays valid.",
    },
    "ssoPolicy": {
        "enforcement": "Whether single sign-on is off, optional or required (values of this enum were not retrieved).",
        "allowedIDPs": "Identity providers users may sign in with.",
        "sessionTimeout": "How long a session started through single sign-on lasts.",
        "allowFallback": "Whether users may still log in with a password when single sign-on is enforced.",
    },
}

# Shared rules by field name. `{o}` is the owning object's label; `{O}` the same, capitalised.
COMMON_FIELDS = {
    "company": "Identifier of the company that owns this {o}.",
    "parent": "Identifier of the parent company.",
    "name": "Display name of this {o}.",
    "notes": "Free-form notes about this {o}.",
    "since": "When this {o} was deleted; absent while it is active.",
    "deleted": "True once this {o} has been deleted; it can still be restored.",
    "suspended": "True while this {o} is suspended: kept, but not processed.",
    "kind": "What kind of {o} this is.",
    "reference": "Free-form reference text, such as an identifier in another system.",
    "references": "Free-form key/value references, such as identifiers in other systems.",
    "status": "Current status of this {o}.",
    "login": "Login (email address) of the user concerned.",
    "pictures": "Identifiers of pictures attached to this {o}.",
    "fill": "Fill colour used to draw this {o}, as a CSS colour.",
    "stroke": "Outline colour used to draw this {o}, as a CSS colour.",
    "graphic": "Codified name of the graphic drawn for this {o}.",
    "profile": "Identifier of the billing profile this {o} belongs to.",
    "amount": "Amount charged, in the billing profile's currency.",
    "enabled": "Whether this {o} is active; when false it is kept but has no effect.",
    "parameters": "Parameters of this {o}.",
    "targets": "Expression selecting the assets this {o} applies to.",
    "filters": "Expression that further narrows which assets or events this {o} handles.",
    "created": "When this {o} was created.",
    "contact": "Identifier of the contact card linked to this {o}.",
    "timezone": "Code of the timezone used for local times (see Timezone).",
    "engineHours": "Engine running time in hours.",
    "odometer": "Distance travelled, as an odometer reading.",
    "duration": "How long this {o} takes or took.",
    "dts": "When this value was recorded (UTC).",
    "completed": "When this {o} was completed.",
    "processed": "When the server processed this {o}.",
    "delivered": "When this {o} was delivered.",
    "latlng": "Coordinates of this {o}.",
    "script": "Identifier of the script this {o} uses.",
    "behaviour": "Identifier of the behaviour concerned.",
    "messagingAddress": "Address used to send messages to the asset.",
    "permissions": "Permissions granted or revoked for this {o}.",
    "plate": "Licence plate.", "make": "Manufacturer.", "model": "Model name.", "year": "Model year.",
    "vin": "Vehicle identification number.", "serial": "Serial number.",
    "global": "Whether this {o} is shared with the company's child companies.",
    "template": "Identifier of the template this {o} comes from.",
    "schedule": "Identifier of the schedule this {o} belongs to.",
    "place": "Identifier of the place concerned.",
    "to": "Recipient address.", "from": "Sender address.", "body": "Text of the message.",
    "subject": "Subject line of the message.",
    "user": "Login of the user concerned.",
    "icon": "Identifier of the icon used to draw this {o}.",
    "labels": "Codified labels that group this {o} for targeting and filtering.",
    "tags": "Codified tags currently set on this {o}.",
    "attributes": "Latest named attribute values.",
    "position": "Last known position.",
    "providers": "Identifiers of the providers (devices) that report for the asset.",
    "relationships": "Identifiers of related assets.",
    "places": "Status against places, keyed by place identifier.",
    "priority": "Priority of this {o}.",
    "instructions": "Instructions for the driver or technician.",
    "eta": "Expected time of arrival.",
    "arrived": "When the asset arrived.",
    "signature": "Whether a signature was collected.",
    "signatory": "Name of the person who signed.",
    "attachments": "Identifiers of documents or pictures attached to this {o}.",
    "driver": "Name or login of the driver.",
    "garage": "Name of the garage that did the work.",
    "cost": "Cost of the work.",
    "technician": "Name of the technician.",
    "error": "Error text when the operation failed.",
    "src": "Address of the stored file.",
    "bytes": "Size of the file in bytes.",
    "mime": "MIME type of the file.",
    "expiry": "When this {o} expires.",
    "expires": "When this {o} expires.",
    "size": "Width and height in pixels.",
    "anchor": "Point of the image that sits on the map location.",
    "options": "Options of this {o}.",
    "notify": "Who is notified.",
    "password": "Password or secret used by the device.",
    "phoneNumber": "Phone number, as digits only.",
    "firmware": "Firmware version text.",
    "configuration": "Identifier of the configuration applied.",
    "information": "Descriptive values reported by the device, keyed by name.",
    "sim": "SIM card identifier.",
    "lastIP": "Network address and port the device last connected from.",
    "snf": "Store-and-forward values kept for the device, keyed by name.",
    "commands": "State of the commands sent to the device, keyed by command type.",
    "lat": "Latitude in decimal degrees.", "lng": "Longitude in decimal degrees.",
    "speed": "Speed at the time of the report.", "speedLimit": "Posted speed limit at the location, when known.",
    "bearing": "Heading in degrees clockwise from north.", "altitude": "Altitude above sea level.",
    "accuracy": "Estimated accuracy of the location.",
    "streetAddress": "Street address resolved for the location.",
    "address": "Street address, as one line of text.",
    "origin": "Where the position came from (GPS, network, manual and so on).",
    "value": "Value of this {o}; its JSON type depends on the {o}'s kind.",
    "unit": "Unit of the value.",
    "context": "Where the parameter is used.",
    "code": "Code of this {o}.",
    "currency": "Currency amounts are in.",
    "start": "Start of the period.", "end": "End of the period.",
    "sku": "Product code (stock keeping unit).",
    "limit": "Largest number of units covered.",
    "service": "The hosting service charged for.",
    "billee": "Identifier of the company that pays.",
    "asset": "Identifier of the asset concerned.",
    "job": "Identifier of the dispatch job concerned.",
    "step": "Identifier of the dispatch step concerned.",
    "path": "Route geometry as a list of coordinates.",
    "distance": "Distance covered.",
    "summaryInstances": "Indexes of the summary instances this entry belongs to.",
    "instance": "Index of this instance.",
    "general": "The asset's general part at that moment.",
    "advanced": "The asset's advanced part at that moment.",
    "firstState": "State of the asset at the start.",
    "lastState": "State of the asset at the end.",
    "polyline": "Route travelled, as an encoded polyline.",
    "stateDetail": "Text describing the state.",
    "maxGeofenceCount": "Largest number of geofences allowed.",
    "type": "Type of this {o}.",
    "serverTime": "Server clock at the time the message was sent (UTC).",
    "message": "Human-readable message text.",
    "reqId": "Request identifier chosen by the client and echoed in the reply.",
    "errorCode": "Result code; 0 means success.",
    "errorDetails": "Extra details about a failure.",
    "ghostId": "Secret identifier of the session; reconnect with it to resume the session.",
    "handle": "Handle that identifies the session.",
    "userAgent": "Client application name.",
    "sockets": "Number of connected sockets.",
    "lastActivity": "When the session was last used.",
    "starting": "When the maintenance window starts.",
    "ending": "When the maintenance window ends.",
    "reload": "Whether clients should reload after the upgrade.",
    "subscriptionTypes": "Subscription types held.",
    "weekdays": "Days of the week the rule applies, Sunday first.",
    "email": "Email address to notify.",
    "sms": "Phone number to text, as digits only.",
    "online": "How to notify while the user is online.",
    "offline": "How to notify while the user is offline.",
    "verified": "Whether the method has been verified.",
    "setupDate": "When the method was set up.",
    "lastAuthentication": "When it was last used to authenticate.",
    "externalId": "Identifier of the user at the identity provider.",
    "provider": "Identity provider or device concerned.",
    "offset": "Offset from UTC in minutes.",
    "dst": "Whether the timezone observes daylight saving time.",
    "required": "Whether the field must be filled in.",
    "editable": "Whether the field may be changed after it was filled in.",
    "fields": "The form's fields.",
    "folder": "Folder the message is filed in.",
    "incoming": "Whether the message was received from the asset rather than sent to it.",
    "readBy": "Login of the user who read the message.",
    "category": "Category used to group this {o}.",
    "usage": "Where this {o} may be used.",
    "uses": "How many objects use this {o}.",
    "focals": "Areas of interest in the picture.",
    "layer": "Layer the glyph is drawn on.",
    "zIndex": "Stacking order among glyphs on the same layer.",
    "rotates": "Whether the glyph turns with the asset's heading.",
    "width": "Width in pixels.", "height": "Height in pixels.",
    "x": "Horizontal coordinate in pixels.", "y": "Vertical coordinate in pixels.",
    "north": "Northern edge latitude.", "south": "Southern edge latitude.", "east": "Eastern edge longitude.",
    "west": "Western edge longitude.",
    "top": "Top edge.", "bottom": "Bottom edge.", "left": "Left edge.", "right": "Right edge.",
    "city": "City or town name.", "country": "Country name or code.", "postal": "Postal or ZIP code.", "province": "Province or state.",
    "region": "Region or county.", "street": "Street name.", "number": "Street number.",
    "isToll": "Whether the road is a toll road.",
}

FIELD_OVERRIDES = {
    ("ReportBreakdownMessage", "message"): "The message this breakdown entry concerns.",
    ("ReportBreakdownTask", "task"): "The dispatch task this breakdown entry concerns.",
    ("SessionResponse", "user"): "Details of the logged-in account (2018 shape).",
    ("SessionResponse", "expiry"): "When the session expires unless it is used again.",
    ("Place", "shape"): "Outline of the place as coordinates; the 2018 name of `points`.",
    ("Place", "points"): "Outline of a polygon or rectangle place, as coordinates.",
    ("Place", "radius"): "Radius of a radial place, in metres.",
    ("Place", "anchor"): "Centre or reference point of the place.",
    ("Place", "colour"): "Colour used to draw the place, as a CSS colour.",
    ("Place", "kind"): "Shape of the place: point, radial, polygon or rectangle.",
    ("Provider", "id"): "Device identifier of the provider (for example its IMEI), up to 50 characters.",
    ("ProviderGeneral", "id"): "Device identifier of the provider (for example its IMEI), up to 50 characters.",
    ("ProviderAdvanced", "id"): "Device identifier of the provider (for example its IMEI), up to 50 characters.",
    ("ProviderControl", "id"): "Device identifier of the provider (for example its IMEI), up to 50 characters.",
    ("ProviderDeleted", "id"): "Device identifier of the deleted provider.",
    ("Provider", "asset"): "Identifier of the asset the provider reports for, if it is installed in one.",
    ("ProviderGeneral", "asset"): "Identifier of the asset the provider reports for, if it is installed in one.",
    ("Provider", "attributes"): "Latest raw values reported by the device, grouped by data group and keyed by "
                                "data name.",
    ("ProviderAdvanced", "attributes"): "Latest raw values reported by the device, grouped by data group and keyed "
                                        "by data name.",
    ("ProviderRegistration", "code"): "Six-digit code that identifies the registration.",
    ("ProviderRegistration", "identifier"): "Device identifier of the provider that completed the registration.",
    ("ProviderRegistration", "config"): "Identifier of the provider configuration the new device receives.",
    ("ProviderRegistration", "user"): "Login of the user who created the registration.",
    ("ProviderRegistration", "since"): "When the registration was created.",
    ("Timezone", "code"): "Code of the timezone; other objects refer to timezones by this code.",
    ("Timezone", "name"): "Display name of the timezone.",
    ("LabelStyle", "code"): "Codified form of the label or tag this style applies to.",
    ("LabelStyle", "old"): "Previous codified form, when the label was renamed.",
    ("Subscription", "company"): "Identifier of the company the subscriptions are for.",
    ("BehaviourLog", "line"): "Line of the script that wrote the entry.",
    ("BehaviourLog", "character"): "Column of the script that wrote the entry.",
    ("BehaviourLog", "message"): "Text the script wrote.",
    ("BehaviourScript", "source"): "Source code of the script.",
    ("BehaviourScript", "compiles"): "Whether the current source compiles.",
    ("Behaviour", "priority"): "Order in which behaviours run for the same asset; lower runs first.",
    ("ReportResult", "progress"): "How far the report has run, in percent.",
    ("ReportResult", "runBy"): "Login of the user who ran the report.",
    ("ReportResult", "archive"): "Whether the result is archived and kept beyond the usual retention.",
    ("ReportResult", "targeted"): "Identifiers of the assets the report targeted.",
    ("ReportResult", "filtered"): "Identifiers of the assets that passed the report's filters.",
    ("ReportResult", "bounds"): "Map area covering everything in the result.",
    ("ReportSchedule", "owner"): "Login of the user who owns the schedule.",
    ("ReportSchedule", "repetition"): "When the schedule repeats.",
    ("Picture", "uses"): "How many objects use this picture.",
    ("Document", "expiry"): "When the document expires, for permits and certificates.",
    ("AssetAttribute", "simple"): "Value formatted for display.",
    ("AssetAttribute", "complex"): "Value formatted with its unit and detail.",
    ("AssetAttribute", "raw"): "Value as the device reported it; any JSON value.",
    ("AssetAttribute", "provider"): "Identifier of the provider that reported the value.",
    ("AssetAttribute", "global"): "Whether the attribute is shared by every asset type.",
    ("AssetPlaceStatus", "enter"): "When the asset entered the place.",
    ("AssetPlaceStatus", "latest"): "When the asset's status in the place was last confirmed.",
    ("AssetPlaceStatus", "kind"): "Whether the asset is entering, inside or leaving the place.",
    ("Permission", "company"): "Identifier of the company whose objects the permission covers.",
    ("Permission", "kind"): "Kind of object the permission covers.",
    ("Permission", "level"): "How much access is given: read, update or full.",
    ("Permission", "method"): "Whether the rule grants or revokes the access.",
    ("Permission", "labels"): "When set, the rule only covers objects with one of these labels.",
    ("UserNotifications", "name"): "Name of the notification rule.",
    ("UserNotifications", "enabled"): "Whether the rule is active.",
    ("UserNotifications", "start"): "Time of day the rule starts applying.",
    ("UserNotifications", "end"): "Time of day the rule stops applying.",
    ("UserMFA", "enabled"): "Whether the method may be used.",
    ("UserMFA", "kind"): "Kind of method: authenticator app, SMS or email.",
    ("UserMFA", "address"): "Phone number or email address codes are sent to.",
    ("UserSSO", "enabled"): "Whether single sign-on is enabled for the user.",
    ("UserSSO", "provider"): "Identity provider the user signs in with.",
    ("DispatchJob", "steps"): "The job's steps (stops), in order.",
    ("DispatchJob", "forms"): "Identifiers of form templates the driver must fill in.",
    ("DispatchJob", "driver"): "Login of the driver assigned to the job.",
    ("DispatchStep", "states"): "When the step reached each status, keyed by status.",
    ("DispatchStepState", "updated"): "When the step reached the status.",
    ("DispatchStepState", "latlng"): "Where the asset was when the step reached the status.",
    ("DispatchDirection", "directions"): "Turn-by-turn instructions for the leg.",
    ("DispatchDirection", "instructions"): "Summary instruction for the leg.",
    ("MaintenanceSchedule", "intervals"): "Last service and next due point for each targeted asset, keyed by asset "
                                          "identifier.",
    ("MaintenanceSchedule", "predictionDays"): "How many days ahead a due service is announced.",
    ("MaintenanceSchedule", "recurDays"): "Service is due again after this many days.",
    ("MaintenanceSchedule", "recurDistance"): "Service is due again after this distance.",
    ("MaintenanceSchedule", "recurEngineHours"): "Service is due again after this many engine hours.",
    ("MaintenanceInterval", "lastJob"): "Identifier of the last maintenance job done for the asset.",
    ("MaintenanceInterval", "date"): "When the service is next due by date.",
    ("MaintenanceInterval", "odometer"): "Odometer reading at which the service is next due.",
    ("MaintenanceInterval", "engineHours"): "Engine hours at which the service is next due.",
    ("BroadcastMaintenance", "kind"): "Always `maintenance`.",
    ("BroadcastUpgrade", "kind"): "Always `upgrade`.",
    ("BroadcastUpgrade", "eta"): "When the upgrade is expected to happen.",
}

# ----------------------------------------------------------------------------------------------------------------
# Enums: descriptions and member rules
# ----------------------------------------------------------------------------------------------------------------

ENUM_SECTION = {
    "SubscriptionType": "api", "ErrorDetailType": "api", "BroadcastType": "api",
    "PermissionType": "users", "PermissionLevel": "users", "PermissionMethod": "users", "MultiFactorType": "users",
    "SSOIdentityProvider": "users", "UserNotificationsMethod": "users", "SessionStatus": "users",
    "NotificationsMethod": "users", "SystemsOfUnits": "users",
    "MultiFactorEnforcement": "companies", "SessionMultiUser": "companies", "PasswordExpiryMode": "companies",
    "ExpiryModePolicy": "companies", "MultiUserPolicy": "companies",
    "ProviderType": "providers", "ProviderCommandType": "providers", "ProviderCommandStatus": "providers",
    "ProviderScriptParameterType": "providers", "ProviderDataGroup": "providers", "ProviderDataName": "providers",
    "ProviderDataUnits": "providers", "ProviderEventName": "providers", "ProvisioningStatus": "providers",
    "DispatchTaskStatus": "dispatch", "DispatchStepStatus": "dispatch", "DispatchJobPriority": "dispatch",
    "TaskStatus": "dispatch",
    "ReportRecurrenceType": "reports", "ReportType": "reports", "ReportStatus": "reports",
    "ReportParameterType": "reports", "ReportDataSummaryReason": "reports", "ReportFilterMode": "reports",
    "BillableHostingType": "billing", "BillableHostingLicenseType": "billing", "BillingReportStatus": "billing",
    "BillableLicenseType": "billing", "BillingCurrency": "billing", "BillingCycle": "billing",
    "AssetType": "assets", "AssetPlaceStatusType": "assets",
    "PlaceType": "places", "ShapeType": "places",
    "MessageType": "messaging", "MessageStatus": "messaging", "AlertPriority": "messaging", "MemoStatus": "messaging",
    "MemoType": "messaging", "MessageFolder": "messaging",
    "MaintenanceJobStatus": "maintenance",
    "BehaviourLogType": "behaviours", "BehaviourParameterType": "behaviours",
    "FormFieldType": "file_hosting", "IconLayer": "file_hosting",
    "AnalyticParameterType": "analytics", "AnalyticsType": "analytics",
    "HosCycle": "hos", "HosDataTransferType": "hos", "HosDefectArea": "hos", "HosDefectStatus": "hos",
    "HosDiagnosticCode": "hos", "HosEventOrigin": "hos", "HosEventStatus": "hos", "HosMalfunctionCode": "hos",
    "HosViolationType": "hos", "HosEventCodeDiagnostic": "hos", "HosEventCodeDutyStatus": "hos",
    "HosEventCodeEnginePower": "hos", "HosEventCodeIntermediate": "hos", "HosEventCodeLogin": "hos",
    "HosEventCodeOther": "hos", "HosEventType": "hos",
}

# (enum description, member template or None). `{h}` is the humanised member name.
ENUM_DESC = {
    "SubscriptionType": ("A kind of change notification a session can subscribe to for a company.", None),
    "PermissionType": ("The kind of object (or action) a permission rule covers.",
                       "Access to {h} objects or actions."),
    "ErrorDetailType": ("Which kind of extra information an error reply's `errorDetails` carries.", None),
    "MultiFactorEnforcement": ("Whether a company requires multi-factor authentication.", None),
    "SessionMultiUser": ("What happens when a user who already has a session logs in again.", None),
    "ProviderType": ("The family (make or protocol) of a tracking device.", "Devices of the {h} family."),
    "ProviderCommandType": ("The kind of command sent to a device.", "A {h} command."),
    "DispatchTaskStatus": ("Status of an older dispatch task.", "The task is {h}."),
    "DispatchStepStatus": ("Status of a dispatch job step.", None),
    "DispatchJobPriority": ("Priority of a dispatch job, from standby to urgent.", "{H} priority."),
    "ReportRecurrenceType": ("How often a scheduled report repeats.", None),
    "BillableHostingType": ("The hosting service a billing rule charges for.", "Hosting of the {h} service."),
    "AssetType": ("What kind of thing an asset is.", None),
    "PlaceType": ("The shape of a place.", None),
    "MultiFactorType": ("A multi-factor authentication method.", None),
    "SSOIdentityProvider": ("An external identity provider for single sign-on.", "Sign in with {H}."),
    "UserNotificationsMethod": ("How a user is notified.", None),
    "BillableHostingLicenseType": ("The third-party licence a hosting licence charges for.", "A {h} licence."),
    "PermissionLevel": ("How much access a permission gives.", None),
    "PermissionMethod": ("Whether a permission rule grants or revokes access.", None),
    "MessageType": ("The channel an asset message travels on.", None),
    "MessageStatus": ("Delivery status of an asset message.", None),
    "ReportType": ("The kind of report a template produces.", "A report about {h}."),
    "ReportStatus": ("Progress of a report run.", None),
    "MaintenanceJobStatus": ("Status of a maintenance job.", None),
    "BehaviourLogType": ("Severity of a behaviour log line.", None),
    "AssetPlaceStatusType": ("An asset's status relative to a place.", None),
    "PasswordExpiryMode": ("What makes passwords expire.", None),
    "BillingReportStatus": ("Progress of a billing report.", None),
    "ReportParameterType": ("The kind of a report parameter.", "Parameter giving the {h}."),
    "FormFieldType": ("The kind of input a form field asks for.", "A {h} input."),
    "ProviderCommandStatus": ("Progress of a command sent to a device.", None),
    "ProviderScriptParameterType": ("The value type of a provider script parameter.", "A {h} value."),
    "BehaviourParameterType": ("The value type of a behaviour parameter.", "A {h} value."),
    "SessionStatus": ("State of a login session.", None),
    "BillableLicenseType": ("The 2018 name of the licence kinds.", "A {h} licence."),
    "BillingCurrency": ("Currency of a billing profile.", None),
    "BillingCycle": ("How often a billing profile is invoiced.", "Invoiced {h}."),
    "ExpiryModePolicy": ("The 2018 name of the password expiry modes.", None),
    "MultiUserPolicy": ("The 2018 name of the repeated-login rules.", None),
    "TaskStatus": ("The 2018 dispatch task statuses.", "The task is {h}."),
    "HosCycle": ("Duty cycle rule set for electronic logging (retired).", "The {h} duty cycle."),
    "HosDataTransferType": ("How electronic logging data is transferred (retired).", "Transfer by {h}."),
    "HosDefectArea": ("Part of the vehicle an inspection defect is on (retired).", "On the {h}."),
    "HosDefectStatus": ("Status of an inspection defect (retired).", "The defect is {h}."),
    "HosDiagnosticCode": ("Electronic logging diagnostic code (retired).", "A {h} diagnostic."),
    "HosEventOrigin": ("Who recorded an electronic logging event (retired).", "Recorded by {h}."),
    "HosEventStatus": ("Record status of an electronic logging event (retired).", "The event is {h}."),
    "HosMalfunctionCode": ("Electronic logging malfunction code letter (retired).", "Malfunction code {h}."),
    "HosViolationType": ("Hours-of-service rule that was broken (retired).", "Violation of rule {h}."),
    "IconLayer": ("The drawing layer of an icon glyph.", "Drawn on the {h} layer."),
    "AlertPriority": ("Priority of an asset alert.", "{H} priority."),
    "MemoStatus": ("The 2018 message statuses.", "The message is {h}."),
    "MemoType": ("The 2018 message channels.", "Sent by {h}."),
    "MessageFolder": ("Folder an asset message is filed in.", "The {h} folder."),
    "ShapeType": ("The 2018 place shapes.", "A {h} place."),
    "ProviderDataGroup": ("Group of raw device data values.", "Data from the {h} group."),
    "ProviderDataName": ("Name of a raw device data value.", "Device value: {h}."),
    "ProviderDataUnits": ("Unit of a raw device data value.", None),
    "ProviderEventName": ("Name of an event reported by a device.", "Device event: {h}."),
    "ProvisioningStatus": ("Progress of sending a configuration to a device.", "Provisioning is {h}."),
    "AnalyticParameterType": ("Kind of a real-time analytics parameter (retired).", "Parameter giving the {h}."),
    "AnalyticsType": ("Kind of real-time analytics rule (retired).", "Analytics about {h}."),
    "ReportDataSummaryReason": ("Why a report summary span starts or ends.", None),
    "ReportFilterMode": ("How a report's filters apply.", None),
    "BroadcastType": ("The kind of server broadcast.", None),
    "NotificationsMethod": ("The 2018 name of the notification methods.", "Notify by {h}."),
    "SystemsOfUnits": ("A system of measurement units.", None),
    "HosEventCodeDiagnostic": ("Event codes of diagnostic electronic logging events (retired).", "Event code for {h}."),
    "HosEventCodeDutyStatus": ("Event codes of duty-status electronic logging events (retired).", "Event code for {h}."),
    "HosEventCodeEnginePower": ("Event codes of engine power electronic logging events (retired).", "Event code for {h}."),
    "HosEventCodeIntermediate": ("Event codes of intermediate electronic logging events (retired).", "Event code for {h}."),
    "HosEventCodeLogin": ("Event codes of login electronic logging events (retired).", "Event code for {h}."),
    "HosEventCodeOther": ("Event codes of other electronic logging events (retired).", "Event code for {h}."),
    "HosEventType": ("Kind of electronic logging event (retired).", "A {h} event."),
}

MEMBER_DESC = {
    "ErrorDetailType": {
        "parse": "The request body could not be parsed as JSON.", "stack": "Server-side diagnostic trace.",
        "locked": "The object is locked by another operation.",
        "throttled": "The session or command was throttled; the throttling fields say by whom and for how long.",
        "count": "Too many or too few items were given.", "minMax": "A value is outside its allowed range.",
        "input": "A field value is not valid.", "enum": "A value is not a member of its enumeration.",
        "phone": "A phone number is not valid.", "badKeys": "Some of the given keys do not exist.",
        "badIds": "Some of the given ids do not exist.", "badIndexes": "Some items of a batch are not valid.",
        "escalation": "The change would give more access than the caller has.",
        "externals": "A linked external object is missing or not valid.",
        "parent": "The parent company is not valid.", "userGroupInUse": "The user group is still in use.",
        "contactInUse": "The contact is still in use.", "formTemplateInUse": "The form template is still in use.",
        "batch": "Results of the individual items of a batch command.", "secret": "A secret is missing or not valid.",
    },
    "MultiFactorEnforcement": {"disabled": "Multi-factor authentication is not used.",
                               "optional": "Users may turn on multi-factor authentication.",
                               "required": "Every user must use multi-factor authentication."},
    "SessionMultiUser": {"allow": "Both sessions stay open.", "deny": "The new login is refused.",
                         "replace": "The older session is ended and the new one starts."},
    "MultiUserPolicy": {"allow": "Both sessions stay open.", "deny": "The new login is refused.",
                        "replace": "The older session is ended and the new one starts."},
    "DispatchStepStatus": {"pending": "The step has not started.", "onRoute": "The asset is on its way to the step.",
                           "arrived": "The asset has arrived at the step.", "completed": "The step is done."},
    "ReportRecurrenceType": {"once": "Runs one time.", "daily": "Runs every day.", "weekly": "Runs every week.",
                             "monthly": "Runs every month.", "quarterly": "Runs every three months.",
                             "annually": "Runs every year."},
    "AssetType": {"asset": "A generic asset such as equipment or a container.", "person": "A person, such as a driver.",
                  "trailer": "A trailer.", "vehicle": "A motor vehicle."},
    "PlaceType": {"point": "A single location.", "radial": "A circle around a centre.",
                  "polygon": "An area bounded by a polygon.", "rectangle": "An area bounded by a rectangle."},
    "MultiFactorType": {"app": "Codes from an authenticator app.", "sms": "Codes sent by text message.",
                        "email": "Codes sent by email."},
    "UserNotificationsMethod": {"popup": "A pop-up in the user's application.", "sms": "A text message.",
                                "email": "An email."},
    "PermissionLevel": {"read": "May view the objects.", "update": "May view and change the objects.",
                        "full": "May view, change, create and delete the objects."},
    "PermissionMethod": {"grant": "Gives the access.", "revoke": "Takes the access away."},
    "MessageType": {"unknown": "Channel not known.", "sms": "Text message.", "email": "Email message.",
                    "pnd": "In-cab navigation device.", "gcm": "Android push notification.",
                    "apn": "Apple push notification.", "socket": "The WebSocket connection."},
    "MessageStatus": {"created": "Created, not yet handled.", "processed": "Handed to the delivery channel.",
                      "failed": "Delivery failed.", "throttled": "Held back because too many were sent.",
                      "bounceback": "Returned as undeliverable.", "acknowledged": "The recipient confirmed it."},
    "ReportStatus": {"created": "Created, not yet queued.", "queued": "Waiting to run.",
                     "running": "The report is being computed.", "saving": "Storing the results.",
                     "completed": "Finished successfully.", "failed": "Stopped with an error; see the result's error."},
    "BillingReportStatus": {"created": "Created, not yet queued.", "queued": "Waiting to run.",
                            "running": "The report is being computed.", "completed": "Finished successfully.",
                            "failed": "Stopped with an error; see the report's error."},
    "MaintenanceJobStatus": {"pending": "Due in the future.", "pastdue": "Due date has passed without completion.",
                             "completed": "The work was done.", "cancelled": "The job was cancelled."},
    "BehaviourLogType": {"log": "An ordinary log line.", "info": "Information.", "warn": "A warning.",
                         "err": "An error."},
    "AssetPlaceStatusType": {"enter": "The asset has just entered the place.", "inside": "The asset is inside.",
                             "exit": "The asset has just left the place."},
    "PasswordExpiryMode": {"never": "Passwords never expire.", "days": "Passwords expire after a number of days.",
                           "sessions": "Passwords expire after a number of sessions."},
    "ExpiryModePolicy": {"never": "Passwords never expire.", "days": "Passwords expire after a number of days.",
                         "sessions": "Passwords expire after a number of sessions."},
    "ProviderCommandStatus": {"created": "Created, not yet sent.", "pending": "Waiting to be sent to the device.",
                              "inProgress": "Being carried out by the device.", "completed": "Done.",
                              "failed": "The device or server reported a failure.", "cancelled": "Cancelled before completion."},
    "SessionStatus": {"notFound": "No such session.", "created": "Created but not used yet.",
                      "active": "In use.", "idle": "Open but unused for a while.",
                      "passwordExpired": "Open, but the user must change the password first.",
                      "expired": "Ended because it expired."},
    "BillingCurrency": {"CAD": "Canadian dollars.", "EURO": "Euros.", "USD": "United States dollars."},
    "ReportDataSummaryReason": {"filterMatch": "The span matched the report's filters.",
                                "outsideRange": "The span reaches outside the report's time range.",
                                "split": "A long span was split into parts.",
                                "stateMatch": "The asset's state matched the report's condition.",
                                "targeted": "The asset was targeted by the report."},
    "ReportFilterMode": {"exclusive": "Leave out what the filters match.", "inclusive": "Keep only what the filters "
                         "match.", "none": "Filters are not applied."},
    "BroadcastType": {"maintenance": "Planned maintenance; the service will be down between `starting` and "
                                     "`ending`.",
                      "upgrade": "A server upgrade around `eta`; clients may need to reload."},
    "SystemsOfUnits": {"british": "Imperial (British) units.", "metric": "Metric units.",
                       "standard": "United States customary units."},
}

UNITS = {
    "A": "amperes", "cmps": "centimetres per second", "cmps2": "centimetres per second squared",
    "dC": "degrees Celsius", "degree": "degrees of angle", "dF": "degrees Fahrenheit", "dK": "kelvin",
    "gal": "gallons", "Gf": "g-force", "gram": "grams", "hour": "hours", "Kg": "kilograms",
    "kgpkm": "kilograms per kilometre", "kilometer": "kilometres", "kn": "knots", "knps": "knots per second",
    "kph": "kilometres per hour", "L": "litres", "Lph": "litres per hour", "Lphkm": "litres per hundred kilometres",
    "lpkm": "litres per kilometre", "meter": "metres", "mGf": "thousandths of a g", "mile": "miles",
    "minute": "minutes", "mips": "miles per second", "mL": "millilitres", "mLph": "millilitres per hour",
    "mpg": "miles per gallon", "mph": "miles per hour", "mV": "millivolts", "percent": "percent",
    "RPM": "revolutions per minute", "second": "seconds", "V": "volts",
}

# ----------------------------------------------------------------------------------------------------------------
# Error codes: group and description of every member (numbers come from the catalogue)
# ----------------------------------------------------------------------------------------------------------------

def _nf(what):
    return ("notFound", f"No {what} exists with the given key, or the caller may not see it.")


def _nd(what):
    return ("notDeleted", f"The {what} is not deleted, so it cannot be restored.")


def _lnf(what):
    return ("notFound", f"One or more of the listed {what} do not exist or are not visible to the caller.")


ERRORS = {
    "success": ("success", "The command succeeded."),
    "unknown": ("service", "An unexpected error happened on the server; the client libraries also use it for "
                           "commands that timed out locally."),
    "service": ("service", "A back-end service the command needs is unavailable or failed."),
    "invalidData": ("invalidInput", "The request body is missing fields or has values that are not valid."),
    "invalidPermission": ("permission", "The caller lacks the permission the command needs (older code)."),
    "permissionDenied": ("permission", "The caller lacks the permission the command needs."),
    "wrongVersionKey": ("versionConflict", "The `v` sent with an update does not match the stored version: someone "
                                           "changed the object first. Fetch it again and retry."),
    "sessionExpired": ("sessionEnded", "The session expired; log in again."),
    "userNotLoggedIn": ("authentication", "The connection has no logged-in user; log in first."),
    "sessionKilled": ("sessionEnded", "An administrator ended the session."),
    "loggedOut": ("sessionEnded", "The session was logged out."),
    "invalidCredentials": ("authentication", "The login or password is wrong."),
    "applicationNotAllowed": ("authentication", "The company's session policy does not allow this client "
                                                "application."),
    "ipNotAllowed": ("authentication", "The company's session policy does not allow logins from this network "
                                       "address."),
    "multiUserDenied": ("sessionEnded", "The user already has a session and the policy refuses or replaced it."),
    "noncompliantPassword": ("invalidInput", "The new password does not meet the company's password policy."),
    "passwordExpired": ("authentication", "The password has expired; it must be changed before anything else."),
    "samePassword": ("invalidInput", "The new password is the same as the current one."),
    "killSessionFailed": ("state", "The session could not be ended (older code)."),
    "sessionNotFound": ("sessionEnded", "The session no longer exists on the server."),
    "assetNotFound": _nf("asset"),
    "assetNotDeleted": _nd("asset"),
    "assetsListNotFound": _lnf("assets"),
    "behaviourScriptNotFound": _nf("behaviour script"),
    "behaviourScriptNotDeleted": _nd("behaviour script"),
    "behaviourScriptInUse": ("inUse", "The behaviour script is used by behaviours and cannot be deleted."),
    "behaviourNotFound": _nf("behaviour"),
    "behaviourNotDeleted": _nd("behaviour"),
    "companyNotFound": _nf("company"),
    "companyNotDeleted": _nd("company"),
    "userGroupNotFound": _nf("user group"),
    "contactNotFound": ("notFound", "No contact exists with the given key (or the user has no contact card), or "
                                    "the caller may not see it."),
    "contactNotDeleted": _nd("contact"),
    "iconNotFound": _nf("icon"),
    "iconNotDeleted": _nd("icon"),
    "maintenanceJobNotFound": _nf("maintenance job"),
    "maintenanceJobNotDeleted": _nd("maintenance job"),
    "maintenanceScheduleNotFound": _nf("maintenance schedule"),
    "maintenanceScheduleNotDeleted": _nd("maintenance schedule"),
    "maintenanceScheduleInUse": ("inUse", "The maintenance schedule still has jobs and cannot be deleted (older "
                                          "code)."),
    "placeNotFound": _nf("place"),
    "placeNotDeleted": _nd("place"),
    "placesListNotFound": _lnf("places"),
    "providerNotFound": _nf("provider"),
    "providerNotDeleted": _nd("provider"),
    "providersListNotFound": _lnf("providers"),
    "deletedProvider": ("state", "The provider is deleted (older code)."),
    "providerConfigurationTypeNotFound": _nf("provider configuration type"),
    "providerConfigurationNotFound": _nf("provider configuration"),
    "providerConfigurationNotDeleted": _nd("provider configuration"),
    "providerConfigurationInUse": ("inUse", "The provider configuration is applied to providers and cannot be "
                                            "deleted."),
    "invalidConfigurationOptions": ("invalidInput", "The configuration options do not fit the device type."),
    "reportTemplateNotFound": _nf("report template"),
    "reportTemplateNotDeleted": _nd("report template"),
    "userNotFound": _nf("user"),
    "userNotDeleted": _nd("user"),
    "deletedUser": ("state", "The user is deleted (older code)."),
    "suicide": ("invalidInput", "The command would delete, disable or end the caller's own account or session, "
                                "which is not allowed."),
    "labelsListNotUnique": ("conflict", "The same label appears more than once (older code)."),
    "tagsListNotUnique": ("conflict", "The same tag appears more than once (older code)."),
    "userGroupsListNotFound": _lnf("user groups"),
    "unknownCommand": ("invalidInput", "The server does not know the command name."),
    "timezoneNotFound": _nf("timezone"),
    "assetMessageNotFound": _nf("asset message"),
    "dispatchTaskNotFound": _nf("dispatch task"),
    "userGroupInUse": ("inUse", "The user group still has members or is referenced and cannot be deleted."),
    "userGroupNotDeleted": _nd("user group"),
    "reportResultNotFound": _nf("report result"),
    "pictureNotFound": _nf("picture"),
    "picturesListNotFound": _lnf("pictures"),
    "pictureNotDeleted": _nd("picture"),
    "permissionEscalation": ("permission", "The change would give someone more access than the caller has."),
    "userAlreadyExists": ("conflict", "A user with that login already exists."),
    "sessionThrottled": ("throttled", "Too many sessions or connections in a short time; wait before trying again."),
    "usersListNotFound": _lnf("users"),
    "reportResultNotDeleted": _nd("report result"),
    "carrierNotFound": _nf("carrier"),
    "carrierNotDeleted": _nd("carrier"),
    "inspectionNotFound": _nf("inspection"),
    "inspectionNotDeleted": _nd("inspection"),
    "geocoderError": ("service", "The address lookup service failed."),
    "geocoderNotFound": ("notFound", "The address lookup found nothing for the request."),
    "directionsError": ("service", "The routing service failed."),
    "directionsNotFound": ("notFound", "The routing service found no route."),
    "elogNotFound": _nf("electronic log"),
    "userDisabled": ("authentication", "The user is disabled and may not log in."),
    "invalidRegistration": ("invalidInput", "The provider registration code or data is not valid."),
    "invalidHash": ("authentication", "The signature (hash) sent by a machine does not match."),
    "invalidVerification": ("authentication", "The verification code is wrong."),
    "verifyTimeout": ("authentication", "The verification code has expired."),
    "invalidMime": ("invalidInput", "The file type is not accepted."),
    "filesizeExceeded": ("invalidInput", "The file is larger than allowed."),
    "invalidProviderType": ("invalidInput", "The provider type is not valid (older code)."),
    "reportScheduleNotFound": _nf("report schedule"),
    "reportScheduleNotDeleted": _nd("report schedule"),
    "reportResultNotReady": ("state", "The report has not finished running yet."),
    "assetSuspended": ("state", "The asset is suspended, so the command cannot act on it."),
    "assetNotSuspended": ("state", "The asset is not suspended, so it cannot be revived."),
    "providerSuspended": ("state", "The provider is suspended, so the command cannot act on it."),
    "providerNotSuspended": ("state", "The provider is not suspended, so it cannot be revived."),
    "dispatchTaskNotDeleted": _nd("dispatch task"),
    "assetMessageNotDeleted": _nd("asset message"),
    "providerScriptNotFound": _nf("provider script"),
    "providerScriptNotDeleted": _nd("provider script"),
    "providerScriptInUse": ("inUse", "The provider script is used by provider configurations and cannot be "
                                     "deleted."),
    "commandThrottled": ("throttled", "The same command was sent too often; wait before sending it again."),
    "resellerNotFound": _nf("reseller"),
    "resellerNotDeleted": _nd("reseller"),
    "operationPending": ("state", "A previous operation on the object has not started yet."),
    "operationRunning": ("state", "A previous operation on the object is still running."),
    "operationFailed": ("service", "The operation failed on the server."),
    "billingProfileNotFound": _nf("billing profile"),
    "billingProfileNotDeleted": _nd("billing profile"),
    "hostingRuleNotFound": _nf("hosting rule"),
    "hostingRuleNotDeleted": _nd("hosting rule"),
    "hostingDiscountNotFound": _nf("hosting discount"),
    "hostingDiscountNotDeleted": _nd("hosting discount"),
    "hostingLicenseNotFound": _nf("hosting licence"),
    "hostingLicenseNotDeleted": _nd("hosting licence"),
    "billingReportNotFound": _nf("billing report"),
    "billingReportNotDeleted": _nd("billing report"),
    "contactInUse": ("inUse", "The contact is linked to users or assets and cannot be deleted."),
    "documentNotFound": _nf("document"),
    "documentNotDeleted": _nd("document"),
    "documentsListNotFound": _lnf("documents"),
    "unchanged": ("state", "The update changes nothing; the stored object already has these values."),
    "nothing": ("invalidInput", "The request asks for nothing to be done."),
    "machineNotFound": _nf("machine"),
    "machineNotDeleted": _nd("machine"),
    "machineNotAllowed": ("authentication", "Machine accounts may not use this command or connect this way."),
    "invalidOperation": ("state", "The command cannot be carried out on the object in its current state."),
    "referrerNotAllowed": ("authentication", "The web page the connection comes from is not allowed."),
    "formTemplateNotFound": _nf("form template"),
    "formTemplateNotDeleted": _nd("form template"),
    "formResultNotFound": _nf("form result"),
    "formResultNotDeleted": _nd("form result"),
    "formResultsListNotFound": _lnf("form results"),
    "dispatchTemplateNotFound": _nf("dispatch template"),
    "dispatchTemplateNotDeleted": _nd("dispatch template"),
    "dispatchJobNotFound": _nf("dispatch job"),
    "dispatchJobNotDeleted": _nd("dispatch job"),
    "dispatchJobsListNotFound": _lnf("dispatch jobs"),
    "formTemplateInUse": ("inUse", "The form template is used by dispatch jobs or form results and cannot be "
                                   "deleted."),
}

ERROR_REPLACED_BY = {"invalidPermission": "permissionDenied"}
ERROR_NOTES = {
    "deletedProvider": "Marked obsolete in the vendor libraries; kept for its number. No replacement is named.",
    "deletedUser": "Marked obsolete in the vendor libraries; kept for its number. No replacement is named.",
    "hostingDiscountNotFound": "Obsolete with the hosting discount feature, which was never implemented.",
    "hostingDiscountNotDeleted": "Obsolete with the hosting discount feature, which was never implemented.",
    "unknown": "The vendor clients synthesise errorCode 1 for local command timeouts and closed connections.",
    "sessionNotFound": "Grouped as sessionEnded because it concerns the caller's own session; commands acting on "
                       "other sessions (getSession, killSession) do not list it.",
}


# ----------------------------------------------------------------------------------------------------------------
# Wire type -> field schema
# ----------------------------------------------------------------------------------------------------------------

def split_map(t: str) -> tuple[str, str]:
    inner = t[len("Map<"):-1]
    depth = 0
    for i, ch in enumerate(inner):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            return inner[:i].strip(), inner[i + 1:].strip()
    raise ValueError(t)


class Schema:
    """Knows the names of every type and enum so it can map catalogue type strings to field schemas."""

    def __init__(self, type_names: set[str], enum_names: set[str]):
        self.type_names = type_names
        self.enum_names = enum_names | {"ErrorCode"}
        self.notes: list[str] = []

    def field(self, t: str) -> tuple[dict, str | None]:
        """Returns (schema, note)."""
        t = t.strip()
        if t.endswith("[]"):
            items, note = self.field(t[:-2])
            return {"type": "array", "items": items}, note
        if t.startswith("Map<"):
            k, v = split_map(t)
            vs, note = self.field(v)
            out = {"type": "object"}
            if k != "string":
                if k in self.enum_names:
                    out["propertyNames"] = {"$ref": k}
                elif k in INT_FORMATS | NUM_FORMATS | STR_FORMATS:
                    out["propertyNames"] = {"format": k}
                else:
                    raise ValueError(f"map key {k}")
            out["additionalProperties"] = vs
            return out, note
        if t == "boolean":
            return {"type": "boolean"}, None
        if t == "string":
            return {"type": "string"}, None
        if t in INT_FORMATS:
            return {"type": "integer", "format": t}, None
        if t in NUM_FORMATS:
            return {"type": "number", "format": t}, None
        if t in STR_FORMATS:
            return {"type": "string", "format": t}, None
        if t == "any":
            return {}, None
        if t in UNRETRIEVED:
            kind = UNRETRIEVED[t]
            note = f"The catalogue names type {t} here but could not retrieve its definition; left untyped."
            return ({"type": "string"} if kind == "string" else {}), note
        if t in self.type_names or t in self.enum_names:
            return {"$ref": t}, None
        raise ValueError(f"unknown type {t!r}")


def base_kind(t: str) -> str:
    t = t.strip()
    while t.endswith("[]"):
        t = t[:-2]
    return t


# ----------------------------------------------------------------------------------------------------------------
# Types
# ----------------------------------------------------------------------------------------------------------------

PART_SLOTS = {
    "AssetGeneral": ("Asset", 0), "AssetAdvanced": ("Asset", 1), "AssetDispatch": ("Asset", 2),
    "CompanyGeneral": ("Company", 0), "CompanyDirectory": ("Company", 2), "CompanyStyle": ("Company", 3),
    "CompanyPolicy": ("Company", 4), "CompanyReseller": ("Company", 5),
    "ProviderGeneral": ("Provider", 0), "ProviderAdvanced": ("Provider", 1), "ProviderControl": ("Provider", 2),
    "UserGeneral": ("User", 0), "UserAdvanced": ("User", 1), "UserAuthentication": ("User", 2),
    "UserSetting": ("User", 3),
}
PART_NOTES = {
    "UserAuthentication": "Slot 2 of User.v is unconfirmed: older sources send only [general, advanced]; the newest "
                          "libraries add this part after them.",
    "UserSetting": "Slot 3 of User.v is unconfirmed: older sources send only [general, advanced]; the newest "
                   "libraries add this part after them. The C# libraries call it UserState.",
    "ProviderControl": "Slot 2 of Provider.v is inferred from the part order of the sync mapping, not confirmed.",
    "CompanyDirectory": "Company.v slot 1 is reserved (billing, unused), so the directory owns slot 2.",
}

# Payloads of `…Deleted` messages that the 2018 helper does not define: (section, key field, key type, owner).
DERIVED_DELETED = {
    "DispatchJobDeleted": ("dispatch", "id", "ulong", "company"),
    "FormTemplateDeleted": ("file_hosting", "id", "ulong", "company"),
    "FormResultDeleted": ("file_hosting", "id", "ulong", "company"),
    "DocumentDeleted": ("file_hosting", "id", "ulong", "company"),
    "ProviderScriptDeleted": ("providers", "id", "ulong", "company"),
    "ProviderConfigDeleted": ("providers", "id", "ulong", "company"),
    "ProviderRegistrationDeleted": ("providers", "code", "string", "company"),
    "MachineDeleted": ("users", "key", "string", "company"),
    "BillingProfileDeleted": ("billing", "id", "ulong", "company"),
    "BillingReportDeleted": ("billing", "id", "ulong", "company"),
    "BillableHostingRuleDeleted": ("billing", "id", "ulong", "company"),
    "BillableHostingDiscountDeleted": ("billing", "id", "ulong", "company"),
    "BillableHostingLicenseDeleted": ("billing", "id", "ulong", "company"),
    "ReportScheduleDeleted": ("reports", "id", "ulong", "company"),
    "CompanyResellerDeleted": ("white_labelling", "id", "ulong", "parent"),
}

# Objects that commands name but the catalogue could not describe.
DERIVED_OBJECTS = {
    "Dashcam": ("file_hosting", {"guid": "guid"}, "guid",
                "Only the key is known: the catalogue names the type (commands getDashcam and getDashcamsList) but "
                "its fields were not retrieved."),
    "DashcamLive": ("file_hosting", {}, None,
                    "The catalogue names the type (command getDashcamLivesList) but its fields were not retrieved; "
                    "values pass through untyped."),
}


def parse_shape(text: str) -> list[tuple[str, str]]:
    """`{id: ulong, company: ulong}` -> [(id, ulong), (company, ulong)]; bare names default by convention."""
    inner = text[text.index("{") + 1:text.index("}")]
    out = []
    for part in inner.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, typ = part.partition(":")
        name = name.strip().rstrip("?")
        typ = typ.strip()
        typ = re.sub(r"\s*\(.*\)$", "", typ)
        if not typ:
            typ = {"id": "ulong", "company": "ulong", "parent": "ulong", "deleted": "boolean", "v": "uint[]",
                   "code": "string", "name": "string", "notes": "string", "suspended": "boolean"}.get(name, "string")
        out.append((name, typ))
    return out


class Builder:
    def __init__(self, ref: Path):
        self.ref = ref
        self.objects_json = json.loads((ref / "objects.json").read_text())
        self.commands_json = json.loads((ref / "commands.json").read_text())
        self.enums_json = json.loads((ref / "enums.json").read_text())
        self.subs_json = json.loads((ref / "subscriptions.json").read_text())
        self.objects = self.objects_json["objects"]
        self.types: dict[str, dict] = {}      # name -> {"section": .., "def": {...}}
        self.enums: dict[str, dict] = {}
        self.errors: dict[str, dict] = {}
        self.commands: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.messages: dict[str, dict] = {}
        self.omitted: list[dict] = []
        all_types = set(self.objects) | set(DERIVED_DELETED) | set(DERIVED_OBJECTS) | set(HELPER_TYPES)
        self.schema = Schema(all_types, set(self.enums_json) - {"ErrorCode"})  # SubscriptionType stays: derived

    # -- field descriptions -----------------------------------------------------------------------------------
    def owner_label(self, tname: str) -> str:
        if tname in PART_SLOTS:
            return label(PART_SLOTS[tname][0])
        if tname.endswith("Deleted") and tname != "Deleted":
            base = tname[:-len("Deleted")]
            return {"Message": "asset message", "CompanyReseller": "reseller part"}.get(base, label(base))
        return {"MessageBase": "message", "BillableBase": "billable item", "FormFieldBase": "form field",
                "UserState": "user", "PersonGeneral": "person", "ProviderConfig": "provider configuration",
                "ProviderConfiguration": "older-model provider configuration", "VehicleGeneral": "vehicle",
                "TrailerGeneral": "trailer", "VehicleAdvanced": "vehicle"}.get(tname, label(tname))

    def field_desc(self, tname: str, fname: str, tstr: str, is_composite: bool) -> str:
        if (tname, fname) in FIELD_OVERRIDES:
            return FIELD_OVERRIDES[(tname, fname)]
        o = self.owner_label(tname)
        deleted_payload = tname.endswith("Deleted")
        group = FIELD_GROUP.get(tname)
        if deleted_payload:
            if fname in ("id", "login", "key", "code"):
                return f"Key ({fname}) of the deleted {o}."
            if fname == "company":
                return f"Identifier of the company that owned the deleted {o}."
            if fname == "parent":
                return f"Identifier of the parent company of the deleted {o}."
            return f"Identifier of the {human(fname)} the deleted {o} belonged to."
        if group and fname in GROUP_FIELDS[group]:
            text = GROUP_FIELDS[group][fname]
            if fname == "v" and tname in PART_SLOTS:
                pass
            else:
                return text
        if fname == "v":
            if is_composite:
                return "Version numbers of this object's parts, one per part in slot order."
            if tname in PART_SLOTS:
                parent, slot = PART_SLOTS[tname]
                return (f"Version of this part, sent as a one-element array; it is slot {slot} of the "
                        f"{label(parent)}'s `v`.")
            return f"Version number of this {o}, as a one-element array; it grows with every change."
        if fname == "id":
            if base_kind(tstr) == "string":
                return f"Identifier of this {o}, as a string."
            return f"Unique identifier of this {o}."
        if fname in ("labels", "tags") and tstr.startswith("Map<"):
            return f"How each {fname[:-1]} is named and coloured, keyed by codified {fname[:-1]}."
        if fname == "address" and tstr == "StreetAddress":
            return "Street address broken into its parts."
        if fname == "user" and tstr == "Session":
            return "Details of the logged-in account."
        if fname == "message" and tstr != "string":
            return f"The {o}'s message."
        if fname in ("start", "end") and tstr == "timespan":
            return f"Time of day the {o} {'starts' if fname == 'start' else 'ends'}."
        if fname in COMMON_FIELDS:
            text = COMMON_FIELDS[fname]
            return text.replace("{o}", o).replace("{O}", cap(o))
        return self.type_fallback(fname, tstr, o)

    def type_fallback(self, fname: str, tstr: str, o: str) -> str:
        h = human(fname)
        t = tstr.strip()
        if t.startswith("Map<"):
            k, _v = split_map(t)
            return f"The {h} of this {o}, as a map keyed by {human(k) if k != 'string' else 'name'}."
        if t.endswith("[]"):
            inner = t[:-2]
            if inner == "ulong":
                return f"Identifiers of the {h} linked to this {o}."
            if inner in self.schema.type_names:
                return f"The {h} of this {o}, each a {inner}."
            if inner in self.schema.enum_names:
                return f"The {h} of this {o}, each one of the {inner} values."
            return f"The {h} of this {o}, as a list."
        if t == "boolean":
            return f"Whether this {o} is marked as {h}."
        if t == "datetime":
            return f"Date and time of the {h} of this {o} (UTC)."
        if t == "timespan":
            return f"The {h} of this {o}, as a duration."
        if t == "ulong":
            return f"Identifier of the {h} linked to this {o}."
        if t in INT_FORMATS:
            return f"The {h} of this {o}, as a whole number."
        if t in NUM_FORMATS:
            return f"The {h} of this {o}, as a decimal number."
        if t == "colour":
            return f"The {h} colour, as a CSS colour."
        if t == "codified":
            return f"Codified name of the {h}."
        if t == "email":
            return f"Email address of the {h}."
        if t == "expression":
            return f"Expression selecting the {h}."
        if t in STR_FORMATS:
            return f"The {h} of this {o} ({t} format)."
        if t == "string":
            return f"The {h} of this {o}, as text."
        if t == "any":
            return f"The {h} of this {o}; any JSON value."
        if t in self.schema.enum_names:
            return f"The {h} of this {o}, one of the {t} values."
        if t in UNRETRIEVED:
            return f"The {h} of this {o}."
        return f"The {h} of this {o} (see {t})."

    def make_field(self, tname: str, fname: str, spec: dict, is_composite: bool) -> dict:
        schema, note = self.schema.field(spec["type"])
        if base_kind(spec["type"]) in UNRETRIEVED:
            self.omitted.append({"kind": "field", "name": f"{tname}.{fname}", "reason": (
                f"The catalogue types it {spec['type']} but could not retrieve that type's definition, so the "
                f"value passes through untyped.")})
        out = dict(schema)
        if "ref" in spec:
            out["description"] = self.field_desc(tname, fname, spec["type"], is_composite)
        else:
            out["description"] = self.field_desc(tname, fname, spec["type"], is_composite)
        notes = []
        if note:
            notes.append(note)
        if spec.get("note"):
            notes.append("Catalogue note: " + spec["note"] + ".")
        if spec.get("ref"):
            notes.append(f"Holds a {spec['ref']} value.")
        if notes:
            out["x-note"] = " ".join(notes)
        return out

    # -- types ------------------------------------------------------------------------------------------------
    def legacy_notes(self) -> dict[str, str]:
        """Older 2018 shapes are not separate types; describe how they differ in the current type's x-note."""
        notes: dict[str, list[str]] = {}
        for lname, lobj in self.objects_json["legacy_objects"].items():
            target = lobj["superseded_by"]
            if lobj["section"] == "Self" and lname == "Session":
                self.omitted.append({"kind": "type", "name": "legacy_objects.Session", "reason": (
                    "The 2018 Session described the logged-in account (user fields plus its policies); today that "
                    "is SessionDetails with User and the policy types. The catalogue says the current Session "
                    "replaced it, but that type is a session handle, so nothing was merged into it.")})
                continue
            cur = self.objects.get(target, {}).get("fields", {})
            extra = [f for f in lobj["fields"] if f not in cur]
            missing = [f for f in cur if f not in lobj["fields"] and f not in ("deleted", "since", "suspended")]
            bits = []
            if lname != target:
                bits.append(f"the 2018 helper called it {lname}")
            if extra:
                bits.append("the 2018 shape also had " + ", ".join(f"`{f}`" for f in extra))
            if missing and lname == target and len(missing) <= 6:
                lacked = "lacked " + ", ".join(f"`{f}`" for f in missing)
                if extra:
                    bits[-1] += " and " + lacked
                else:
                    bits.append("the 2018 shape " + lacked)
            if bits:
                notes.setdefault(target, []).append("; ".join(bits))
            reason = (f"Older 2018 shape of {target}; merged into the current type"
                      + (" (its differences are noted in that type's x-note)." if bits else "."))
            self.omitted.append({"kind": "type", "name": f"legacy_objects.{lname}", "reason": reason})
        return {k: "Older shape: " + " / ".join(v) + "." for k, v in notes.items()}

    def build_types(self):
        legacy = self.legacy_notes()
        composites = {p for (p, _) in PART_SLOTS.values()}
        for name, obj in self.objects.items():
            section = CATALOGUE_SECTION[obj["section"]]
            src = obj["source"]
            xsource = "legacy" if src.startswith("helper-2018") else ("derived" if src == "derived" else "current")
            d: dict = {"description": TYPE_DESC[name]}
            key = obj.get("key")
            if not key and obj.get("version_index") and "id" in obj["fields"]:
                key = "id"
            if not key and name.endswith("Deleted"):
                key = next(k for k in ("id", "login", "key", "code") if k in obj["fields"])
            if name == "AssetAlert":
                key = "id"
            if key:
                d["x-key"] = key
                if "company" in obj["fields"]:
                    d["x-owner"] = "company"
                elif "parent" in obj["fields"]:
                    d["x-owner"] = "parent"
            if name in PART_SLOTS:
                d["x-part-of"], d["x-version-slot"] = PART_SLOTS[name]
            d["x-source"] = xsource
            if name == "UserState":
                d["deprecated"] = True
                d["x-replaced-by"] = "UserSetting"
            if name == "DispatchTask":
                d["deprecated"] = True
                d["x-replaced-by"] = "DispatchJob"
            if name == "ProviderConfiguration":
                d["deprecated"] = True
                d["x-replaced-by"] = "ProviderConfig"
            notes = []
            if name in PART_NOTES:
                notes.append(PART_NOTES[name])
            if obj.get("notes"):
                notes.append("Catalogue note: " + obj["notes"].rstrip(".") + ".")
            if name in legacy:
                notes.append(legacy[name])
            if name == "Company":
                notes.append("The composite carries the directory as `employees` while the CompanyDirectory part "
                             "calls it `directory`; both names are kept as the catalogue gives them.")
            if name == "ProviderDeleted":
                notes.append("The 2018 helper typed `id` as ulong; provider ids are strings now (as the catalogue's "
                             "providerDeleted payload says), so the current shape is used.")
            if name in ("PersonGeneral", "VehicleGeneral", "TrailerGeneral", "VehicleAdvanced"):
                notes.append("A kind-specific view of the asset parts, not a separate part; it has no version slot "
                             "of its own.")
            if notes:
                d["x-note"] = " ".join(notes)
            props = {}
            for fname, spec in obj["fields"].items():
                if name == "ProviderDeleted" and fname == "id":
                    spec = {"type": "string"}
                    self.omitted.append({"kind": "field", "name": "ProviderDeleted.id", "reason": (
                        "The 2018 helper typed it ulong; provider ids are strings today (as the catalogue's "
                        "providerDeleted message payload says), so it is typed string.")})
                props[fname] = self.make_field(name, fname, spec, name in composites)
            d["properties"] = props
            self.types[name] = {"section": section, "def": d}
        for name, (section, key, ktype, owner) in DERIVED_DELETED.items():
            props = {key: self.make_field(name, key, {"type": ktype}, False),
                     owner: self.make_field(name, owner, {"type": "ulong"}, False)}
            self.types[name] = {"section": section, "def": {
                "description": TYPE_DESC[name], "x-key": key, "x-owner": owner, "x-source": "derived",
                "x-note": "Not defined by any source: shaped like the other deletion payloads, as the catalogue's "
                          "sync message list gives it.",
                "properties": props}}
        for name, (section, fields, key, note) in DERIVED_OBJECTS.items():
            d = {"description": TYPE_DESC[name]}
            if key:
                d["x-key"] = key
            d["x-source"] = "derived"
            d["x-note"] = note
            d["properties"] = {f: {**self.schema.field(t)[0], "description": f"Guid that identifies the "
                                                                             f"{label(name)} media."}
                               for f, t in fields.items()}
            self.types[name] = {"section": section, "def": d}
        for name, spec in HELPER_TYPES.items():
            d = {"description": TYPE_DESC[name]}
            for k in ("x-key", "x-owner"):
                if k in spec:
                    d[k] = spec[k]
            if spec.get("key_ref"):
                d["x-key-ref"] = True
            d["x-source"] = "sdk"
            if spec.get("note"):
                d["x-note"] = spec["note"]
            props = {}
            for fname, (ftype, fdesc) in spec["fields"].items():
                fs, _ = self.schema.field(ftype)
                props[fname] = {**fs, "description": fdesc}
            d["properties"] = props
            if spec.get("required"):
                d["required"] = spec["required"]
            self.types[name] = {"section": "api", "def": d}


_V = ("uint[]", "New version numbers of the object's parts after the change.")
_DEL = ("boolean", "True when the object is now deleted, false after a restore.")
_SUS = ("boolean", "True when the object is now suspended, false after a revive.")
_CO = ("ulong", "Identifier of the company that owns the object.")
_PA = ("ulong", "Identifier of the parent company.")
_ID = ("ulong", "Identifier of the object.")

HELPER_TYPES = {
    "IdKey": {"key_ref": True, "x-key": "id", "required": ["id"],
              "fields": {"id": ("ulong", "Identifier of the object.")}},
    "LoginKey": {"key_ref": True, "x-key": "login", "required": ["login"],
                 "fields": {"login": ("email", "Login (email address) of the user.")}},
    "MachineKey": {"key_ref": True, "x-key": "key", "required": ["key"],
                   "fields": {"key": ("string", "Key of the machine.")}},
    "HandleKey": {"key_ref": True, "x-key": "handle", "required": ["handle"],
                  "fields": {"handle": ("string", "Handle of the session.")}},
    "CodeKey": {"key_ref": True, "x-key": "code", "required": ["code"],
                "fields": {"code": ("string", "Code of the object.")}},
    "GuidKey": {"key_ref": True, "x-key": "guid", "required": ["guid"],
                "fields": {"guid": ("guid", "Guid of the object.")}},
    "ProviderKey": {"key_ref": True, "x-key": "id", "required": ["id"],
                    "fields": {"id": ("string", "Device identifier of the provider.")}},
    "IdCompany": {"x-key": "id", "x-owner": "company", "fields": {"id": _ID, "company": _CO}},
    "IdParent": {"x-key": "id", "x-owner": "parent",
                 "fields": {"id": ("ulong", "Identifier of the company."), "parent": _PA}},
    "IdCompanyDeleted": {"x-key": "id", "x-owner": "company",
                         "fields": {"id": _ID, "company": _CO, "deleted": _DEL, "v": _V}},
    "IdParentDeleted": {"x-key": "id", "x-owner": "parent",
                        "fields": {"id": ("ulong", "Identifier of the company."), "parent": _PA, "deleted": _DEL,
                                   "v": _V}},
    "IdCompanySuspended": {"x-key": "id", "x-owner": "company",
                           "fields": {"id": _ID, "company": _CO, "suspended": _SUS, "v": _V}},
    "IdDeleted": {"x-key": "id", "note": "Billing replies are assumed by the catalogue to omit the company.",
                  "fields": {"id": _ID, "deleted": _DEL, "v": _V}},
    "LoginCompany": {"x-key": "login", "x-owner": "company",
                     "fields": {"login": ("email", "Login of the user."), "company": _CO}},
    "LoginCompanyDeleted": {"x-key": "login", "x-owner": "company",
                            "fields": {"login": ("email", "Login of the user."), "company": _CO, "deleted": _DEL,
                                       "v": _V}},
    "KeyCompany": {"x-key": "key", "x-owner": "company",
                   "fields": {"key": ("string", "Key of the machine."), "company": _CO}},
    "KeyCompanyDeleted": {"x-key": "key", "x-owner": "company",
                          "fields": {"key": ("string", "Key of the machine."), "company": _CO, "deleted": _DEL,
                                     "v": _V}},
    "ProviderIdCompany": {"x-key": "id", "x-owner": "company",
                          "fields": {"id": ("string", "Device identifier of the provider."), "company": _CO}},
    "ProviderIdCompanyDeleted": {"x-key": "id", "x-owner": "company",
                                 "fields": {"id": ("string", "Device identifier of the provider."), "company": _CO,
                                            "deleted": _DEL, "v": _V}},
    "ProviderIdCompanySuspended": {"x-key": "id", "x-owner": "company",
                                   "fields": {"id": ("string", "Device identifier of the provider."),
                                              "company": _CO, "suspended": _SUS, "v": _V}},
    "CodeCompany": {"x-key": "code", "x-owner": "company",
                    "fields": {"code": ("string", "Code of the registration."), "company": _CO}},
    "CodeCompanyDeleted": {"x-key": "code", "x-owner": "company",
                           "note": "The catalogue lists no `v` for this reply.",
                           "fields": {"code": ("string", "Code of the registration."), "company": _CO,
                                      "deleted": _DEL}},
    "ErrorDetail": {
        "note": "Only the throttling fields are known; other kinds carry further keys that pass through untyped.",
        "fields": {
            "kind": ("ErrorDetailType", "Which kind of detail this is; it decides which other fields are present."),
            "ghostId": ("guid", "For throttling: the session that was throttled."),
            "login": ("email", "For throttling: the login that was throttled."),
            "ip": ("string", "For throttling: the network address that was throttled."),
            "command": ("string", "For throttling: the command that was throttled."),
            "count": ("int", "For throttling: how many attempts were counted."),
            "timeout": ("timespan", "For throttling: length of the throttling window; null when the limit has no "
                                    "window (for example too many sessions)."),
        }},
    "SessionDetails": {"fields": {
        "serverTime": ("datetime", "Server clock when the reply was sent (UTC); use it to correct local clock skew."),
        "ghostId": ("guid", "Secret identifier of the session; reconnect with it to resume the session."),
        "expiry": ("datetime", "When the session expires unless it is used again."),
        "user": ("User", "The logged-in user, with contact and groups; absent for machine sessions and before "
                         "login."),
        "machine": ("Machine", "The connected machine account; absent for user sessions."),
        "sessionPolicy": ("SessionPolicy", "The session rules that apply to this account."),
        "passwordPolicy": ("PasswordPolicy", "The password rules that apply to this account."),
    }},
    "Broadcast": {"fields": {
        "kind": ("BroadcastType", "Whether this announces maintenance or an upgrade."),
        "serverTime": ("datetime", "Server clock when the broadcast was sent (UTC)."),
        "message": ("string", "Human-readable text of the announcement."),
        "starting": ("datetime", "For maintenance: when the service goes down."),
        "ending": ("datetime", "For maintenance: when the service is expected back."),
        "eta": ("datetime", "For an upgrade: when it is expected to happen."),
        "reload": ("boolean", "For an upgrade: whether clients should reload afterwards."),
    }},
    "SessionEnded": {"note": "Keys are assumed by the catalogue, not confirmed.", "fields": {
        "ghostId": ("guid", "The session that ended; it can no longer be resumed."),
        "expiry": ("datetime", "When the session ended or expired."),
    }},
    "SubscriptionEntry": {"fields": {
        "company": ("ulong", "Identifier of the company the subscriptions are for."),
        "subscriptionTypes": ("SubscriptionType[]", "Subscription types held for that company."),
    }},
    "DispatchJobCancel": {"x-key": "id", "required": ["id"], "fields": {
        "id": ("ulong", "Identifier of the dispatch job to cancel."),
        "reason": ("string", "Why the job is cancelled; the server stores it as the job's `cancelled` reference."),
        "tags": ("string[]", "Tags to add to the job; the server always adds `cancelled`."),
    }},
    "DispatchJobChange": {"x-key": "id", "required": ["id"],
                          "note": "The step change shape (ParamDispatchStepChange) was not retrieved; steps pass "
                                  "through untyped.",
                          "fields": {
        "id": ("ulong", "Identifier of the dispatch job to update."),
        "v": ("int[]", "Version numbers the client last saw; the change fails with wrongVersionKey if they are "
                       "stale."),
        "driver": ("string", "Login or name of the driver taking the job."),
        "tags": ("string[]", "Tags to set on the job."),
        "steps": ("any[]", "Changes to individual steps, such as status updates."),
    }},
    "OwnContactUpdate": {"fields": {
        "name": ("string", "Full name."),
        "notes": ("string", "Free-form notes."),
        "otherNames": ("Map<string,string>", "Other names (nickname, maiden name and so on), keyed by kind."),
        "emails": ("Map<string,string>", "Email addresses, keyed by kind (work, home and so on)."),
        "phones": ("Map<string,ulong>", "Phone numbers as digits, keyed by kind."),
        "addresses": ("Map<string,string>", "Postal addresses, keyed by kind."),
        "urls": ("Map<string,url>", "Web addresses, keyed by kind."),
        "dates": ("Map<string,datetime>", "Important dates (birthday and so on), keyed by kind."),
        "options": ("Map<string,string>", "Free-form options, keyed by name."),
        "roles": ("string[]", "Roles the person holds."),
        "pictures": ("ulong[]", "Identifiers of pictures of the person."),
    }},
}


def _builder_enums_errors():
    def build_enums(self):
        replaced_members = {("SubscriptionType", "providerConfiguration"): "providerConfig",
                            ("ReportType", "tasks"): "jobs"}
        for name, e in self.enums_json.items():
            if name in ("ErrorCode", "SubscriptionType"):
                continue  # the generator builds these two from errors.yaml and subscriptions.yaml
            desc, template = ENUM_DESC[name]
            d: dict = {}
            if e["kind"] == "number":
                d["type"] = "integer"
            d["description"] = desc
            if e.get("superseded_by"):
                d["deprecated"] = True
                d["x-replaced-by"] = e["superseded_by"]
            if name == "DispatchTaskStatus":
                d["deprecated"] = True
                d["x-replaced-by"] = "DispatchStepStatus"
            d["x-source"] = "legacy" if e["source"].startswith("helper-2018") else "current"
            notes = []
            if e.get("notes"):
                notes.append("Catalogue note: " + e["notes"].rstrip(".") + ".")
            if e.get("values_2018") and set(e["values_2018"]) != set(e["values"]):
                gone = sorted(set(e["values_2018"]) - set(e["values"]))
                if gone:
                    notes.append("2018 members no longer present: " + ", ".join(gone) + ".")
            if name == "SubscriptionType":
                notes.append("The five 2018-only types (analyticRule, analyticSummary, hosCarrier, hosEvent, "
                             "hosInspection) are not members; subscriptions.yaml lists them as retired.")
            if notes:
                d["x-note"] = " ".join(notes)
            members = {}
            obsolete = set(e.get("obsolete", []))
            for m, val in e["values"].items():
                md: dict = {}
                if e["kind"] == "number" or val != m:
                    md["value"] = val
                md["description"] = self.member_desc(name, m, template)
                if m in obsolete:
                    md["deprecated"] = True
                    if (name, m) in replaced_members:
                        md["x-replaced-by"] = replaced_members[(name, m)]
                members[m] = md
            d["members"] = members
            self.enums[name] = {"section": ENUM_SECTION[name], "def": d}

    def member_desc(self, enum: str, member: str, template):
        if enum in MEMBER_DESC and member in MEMBER_DESC[enum]:
            return MEMBER_DESC[enum][member]
        if enum == "SubscriptionType":
            return SUBSCRIPTION_DESC[member][0]
        if enum == "ProviderDataUnits":
            return f"Measured in {UNITS[member]}."
        h = human(member)
        if member == "unknown":
            return "Not known or not reported."
        if template:
            return template.replace("{h}", h).replace("{H}", cap(h))
        return cap(h) + "."

    def build_errors(self):
        e = self.enums_json["ErrorCode"]
        obsolete = set(e["obsolete"])
        for name, code in e["values"].items():
            group, desc = ERRORS[name]
            d = {"code": code, "group": group, "description": desc}
            if name in obsolete:
                d["deprecated"] = True
                if name in ERROR_REPLACED_BY:
                    d["x-replaced-by"] = ERROR_REPLACED_BY[name]
            if name in ERROR_NOTES:
                d["x-note"] = ERROR_NOTES[name]
            self.errors[name] = d

    Builder.build_enums = build_enums
    Builder.member_desc = member_desc
    Builder.build_errors = build_errors


_builder_enums_errors()


# ----------------------------------------------------------------------------------------------------------------
# Subscriptions: what each type delivers (member description, subscription description)
# ----------------------------------------------------------------------------------------------------------------

def _s(what: str, extra: str = "") -> tuple[str, str]:
    return (f"Changes to {what}.", f"Delivers changes to {what} of the subscribed company.{extra}")


SUBSCRIPTION_DESC = {
    "assetGeneral": _s("the general part of assets", " Deletions and suspensions of assets arrive here too."),
    "assetAdvanced": _s("the advanced part of assets (positions, odometer, tags, attributes)"),
    "assetMessage": _s("asset messages"),
    "assetDispatch": _s("the dispatch part of assets"),
    "dispatchTask": _s("older dispatch tasks"),
    "dispatchJob": _s("dispatch jobs"),
    "formTemplate": _s("form templates"),
    "formResult": _s("filled-in forms"),
    "placeGeneral": _s("places"),
    "providerGeneral": _s("the general part of providers", " Deletions and suspensions of providers arrive here "
                                                          "too."),
    "providerAdvanced": _s("the advanced part of providers (raw device data)"),
    "providerConfiguration": _s("older-model provider configurations"),
    "providerScript": _s("provider scripts"),
    "providerConfig": _s("provider configurations"),
    "providerControl": _s("the control part of providers (device command state)"),
    "providerRegistration": _s("provider registrations"),
    "maintenanceSchedule": _s("maintenance schedules"),
    "maintenanceJob": _s("maintenance jobs"),
    "behaviourScript": _s("behaviour scripts"),
    "behaviour": _s("behaviours"),
    "behaviourLog": _s("behaviour logs"),
    "companyGeneral": _s("the general part of companies", " Deletions of companies arrive here too."),
    "companyLabels": _s("the style part of companies (label and tag styles)"),
    "companyPolicies": _s("the policy part of companies"),
    "companyReseller": _s("the reseller (white-label) part of companies"),
    "billingProfile": _s("billing profiles"),
    "billingHosting": _s("billable hosting rules"),
    "billingDiscount": _s("billable hosting discounts"),
    "billingLicense": _s("billable hosting licences"),
    "billingReport": _s("billing reports"),
    "contact": _s("contacts"),
    "icon": _s("icons"),
    "picture": _s("pictures"),
    "document": _s("documents"),
    "reportTemplate": _s("report templates"),
    "reportSchedule": _s("report schedules"),
    "reportResult": _s("report results"),
    "userGeneral": _s("the general part of users", " Deletions of users arrive here too."),
    "userAdvanced": _s("the advanced part of users (groups and permissions)"),
    "userGroup": _s("user groups"),
    "machine": _s("machines"),
    "analyticRule": _s("real-time analytics rules", " Retired: the server no longer offers it."),
    "analyticSummary": _s("real-time analytics summaries", " Retired: the server no longer offers it."),
    "hosCarrier": _s("hours-of-service carriers", " Retired: the server no longer offers it."),
    "hosEvent": _s("hours-of-service events", " Retired: the server no longer offers it."),
    "hosInspection": _s("hours-of-service inspections", " Retired: the server no longer offers it."),
}


# ----------------------------------------------------------------------------------------------------------------
# Messages and subscriptions
# ----------------------------------------------------------------------------------------------------------------

EVIDENCE_WORD = {"source": ["source"], "derived": ["derived"], "uncertain": ["uncertain"]}

# Sync messages that the catalogue's message list has but no subscription delivers.
EXTRA_MESSAGES = {
    "userAuthenticationMerged": ("UserAuthentication", ["uncertain"],
                                 "No subscription type delivers this part in the enum read; the name follows the "
                                 "rule <part>Merged."),
    "userSettingMerged": ("UserSetting", ["uncertain"],
                          "No subscription type delivers this part in the enum read; the name follows the rule "
                          "<part>Merged."),
    "assetAlertMerged": ("AssetAlert", ["uncertain"],
                         "Asset alerts arrive without a subscription; the exact message name was not seen."),
    "companyResellerDeleted": ("CompanyReseller", ["derived"],
                               "Inferred from the naming rule; the reseller part can be removed on its own."),
}
# Alternative spellings of messages we keep under another name.
ALTERNATIVE_MESSAGES = {
    "billingHostingMerged": "hostingRuleMerged", "billingDiscountMerged": "hostingDiscountMerged",
    "billingLicenseMerged": "hostingLicenseMerged", "userStateMerged": "userSettingMerged",
}
SESSION_MESSAGES = {
    "sessionGeneralMerged": ("UserGeneral", ["code-literal"], "the general part of the connected user's own account "
                                                              "(with its contact)"),
    "sessionAdvancedMerged": ("UserAdvanced", ["code-literal"], "the advanced part (groups, permissions) of the "
                                                                "connected user's own account"),
    "sessionAuthenticationMerged": ("UserAuthentication", ["code-literal"], "the authentication part of the "
                                                                            "connected user's own account"),
    "sessionSettingMerged": ("UserSetting", ["source"], "the settings part of the connected user's own account"),
    "sessionStateMerged": ("UserSetting", ["code-literal"], "the settings part of the connected user's own account "
                                                            "(the C# spelling of sessionSettingMerged)"),
    "sessionMachineMerged": ("Machine", ["code-literal"], "the connected machine account itself"),
}


def _builder_messages():
    def build_messages(self):
        sync = {m["name"]: m for m in self.commands_json["sync_messages"]}
        self.msg_object: dict[str, str] = {}
        for s in self.subs_json:
            obj = s["object"]
            for mname in s["messages"]:
                if mname in self.messages:
                    continue
                kind = ("merged" if mname.endswith("Merged") else "deleted" if mname.endswith("Deleted")
                        else "suspended")
                base = PART_SLOTS.get(obj, (obj, 0))[0]
                if kind == "merged":
                    payload = obj
                    target = obj
                elif kind == "deleted":
                    payload = s.get("deleted_payload_2018") or f"{base}Deleted"
                    target = base
                else:
                    payload = "ProviderIdCompanySuspended" if base == "Provider" else "IdCompanySuspended"
                    target = base
                ev = EVIDENCE_WORD[s["message_evidence"][mname]]
                d = {"kind": kind, "payload": payload, "evidence": ev,
                     "description": self.message_desc(mname, kind, target)}
                notes = []
                if s.get("obsolete"):
                    d["deprecated"] = True
                    d["x-replaced-by"] = mname.replace("providerConfiguration", "providerConfig")
                if mname in sync and sync[mname].get("notes") and "subscription type '" not in sync[mname]["notes"]:
                    notes.append("Catalogue note: " + sync[mname]["notes"].rstrip(".") + ".")
                if mname in sync and "messageMerged" in sync[mname].get("notes", ""):
                    notes.append("Older servers may have used the name messageMerged.")
                alts = [a for a, kept in ALTERNATIVE_MESSAGES.items() if kept == mname]
                if alts:
                    notes.append("The catalogue's message list spells it " + ", ".join(alts) + " instead (named "
                                 "after the subscription type); which one the server sends is unconfirmed.")
                if kind == "suspended":
                    notes.append("Payload keys come from the suspend reply shape; not confirmed for the message.")
                if notes:
                    d["x-note"] = " ".join(notes)
                self.messages[mname] = d
                self.msg_object[mname] = target
        for mname, (obj, ev, note) in EXTRA_MESSAGES.items():
            kind = "merged" if mname.endswith("Merged") else "deleted"
            payload = obj if kind == "merged" else f"{obj}Deleted"
            self.messages[mname] = {"kind": kind, "payload": payload, "evidence": ev,
                                    "description": self.message_desc(mname, kind, obj), "x-note": note}
            self.msg_object[mname] = obj
        for mname, (payload, ev, what) in SESSION_MESSAGES.items():
            what, _, aside = what.partition(" (")
            d = {"kind": "account", "payload": payload, "evidence": ev,
                 "description": f"Pushed without a subscription whenever {what} changes"
                                + (f" ({aside}." if aside else ".")}
            if mname == "sessionStateMerged":
                d["x-note"] = ("The catalogue's message list names this sessionStateMerged while the object notes "
                               "say sessionSettingMerged; both are accepted.")
            self.messages[mname] = d
        self.messages["broadcast"] = {
            "kind": "broadcast", "payload": "Broadcast", "evidence": ["source"],
            "description": "Sent to every connected client, logged in or not, to announce planned maintenance or a "
                           "server upgrade."}
        self.messages["sessionEnded"] = {
            "kind": "sessionEnded", "payload": "SessionEnded", "envelope": True, "evidence": ["derived"],
            "description": "Tells the client its session is over (expired, killed or replaced); the client should "
                           "stop reconnecting with that ghost id.",
            "x-note": "The catalogue lists errorCode and message with the payload, hence envelope: true; the other "
                      "keys are assumed."}
        self.messages["connectionResponse"] = {
            "kind": "connection", "payload": "SessionDetails", "envelope": True, "evidence": ["source"],
            "description": "The first frame on every connection, before any command: says whether the ghost id "
                           "in the address resumed a session and describes it. It carries no reqId.",
            "x-note": "The catalogue models it as the pseudo-command `connection`; here it is a message."}
        self.reconcile_messages(sync)
        for alt, kept in ALTERNATIVE_MESSAGES.items():
            self.omitted.append({"kind": "message", "name": alt, "reason": (
                f"Alternative spelling of {kept} in the catalogue's message list (evidence: "
                f"{', '.join(sync[alt]['evidence'])}); kept once under {kept}, whose x-note records it.")})
        self.omitted.append({"kind": "message", "name": "<command>Response", "reason": (
            "Not a message: command replies are described per command and the shared envelope in api.yaml.")})
        self.omitted.append({"kind": "message", "name": "noopResponse", "reason": (
            "Not a message: it is the reply of the noop command.")})

    def reconcile_messages(self, sync: dict) -> None:
        """Keep every evidence word of the catalogue's message list, deprecate what retired subscriptions deliver,
        and record where a payload type has more keys than the catalogue's message list gives."""
        retired = {m for s in self.subs_json if s.get("retired") for m in s["messages"]}
        for mname, d in self.messages.items():
            if mname in retired:
                d["deprecated"] = True
            entry = sync.get(mname)
            if entry is None:
                continue
            d["evidence"] = d["evidence"] + [w for w in entry["evidence"] if w not in d["evidence"]]
            shape = entry["payload"]
            if not shape.startswith("{") or d["payload"] not in self.types:
                continue
            listed = {n for n, _ in parse_shape(shape)}
            have = set(self.types[d["payload"]]["def"]["properties"])
            extra = sorted(have - listed)
            if extra:
                self.omitted.append({"kind": "field", "name": f"{mname}.payload", "reason": (
                    f"The catalogue's message list gives {{{', '.join(sorted(listed))}}}; the payload type "
                    f"{d['payload']} (the 2018 helper's shape) also has {', '.join(extra)}, kept so that those keys "
                    f"are typed when the server sends them.")})

    def message_desc(self, mname: str, kind: str, obj: str) -> str:
        o = self.obj_phrase(obj)
        if kind == "merged":
            return f"Carries the new state of {o} after it was created or changed."
        if kind == "deleted":
            return f"Announces that {o} was deleted; drop it from any cache."
        return f"Announces that {o} was suspended or revived."

    def obj_phrase(self, obj: str, plural_form: bool = False) -> str:
        if obj in PART_SLOTS:
            parent, _ = PART_SLOTS[obj]
            part = {"CompanyStyle": "style", "CompanyPolicy": "policy", "CompanyReseller": "reseller",
                    "CompanyDirectory": "directory"}.get(obj, human(obj[len(parent):]))
            if plural_form:
                return f"{part} parts of {plural(label(parent))}"
            return f"the {part} part of {article(label(parent))}"
        lab = self.owner_label(obj)
        return plural(lab) if plural_form else article(lab)

    def build_subscriptions(self):
        for s in self.subs_json:
            name = s["type"]
            d = {"description": SUBSCRIPTION_DESC[name][1], "object": s["object"], "messages": list(s["messages"])}
            notes = []
            if s.get("retired"):
                d["retired"] = True
                d["deprecated"] = True
                notes.append("Retired: the server no longer offers it and nothing replaces it.")
            if s.get("obsolete"):
                d["deprecated"] = True
                d["x-replaced-by"] = "providerConfig"
            if "uncertain" in s["message_evidence"].values():
                notes.append("Message names follow the command nouns (hostingRule…) rather than the subscription "
                             "name; both spellings are unconfirmed.")
            if name in ("companyLabels", "placeGeneral", "companyPolicies"):
                notes.append(f"Legacy name kept on the wire; it delivers {s['object']} objects.")
            if s.get("also_delivers"):
                notes.append("Also delivers the kind-specific views " + ", ".join(s["also_delivers"]) + ".")
            if s.get("permission") is None and not s.get("retired"):
                notes.append("The catalogue names no permission for it.")
            if notes:
                d["x-note"] = " ".join(notes)
            self.subscriptions[name] = d

    Builder.build_messages = build_messages
    Builder.message_desc = message_desc
    Builder.reconcile_messages = reconcile_messages
    Builder.obj_phrase = obj_phrase
    Builder.build_subscriptions = build_subscriptions


_builder_messages()


# ----------------------------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------------------------

KEY_REFS = {("id", "ulong"): "IdKey", ("login", "email"): "LoginKey", ("key", "string"): "MachineKey",
            ("handle", "string"): "HandleKey", ("code", "ParamCode"): "CodeKey", ("code", "codified"): "CodeKey",
            ("guid", "guid"): "GuidKey", ("id", "string"): "ProviderKey"}
CONTENT_TYPES = {
    "ContentIdCompany": "IdCompany", "ContentIdDeleted": "IdCompanyDeleted", "ContentIdSuspended": "IdCompanySuspended",
    "ContentIdParent": "IdParent", "ContentIdParentDeleted": "IdParentDeleted", "ContentKeyCompany": "KeyCompany",
    "ContentKeyDeleted": "KeyCompanyDeleted", "ContentLoginDeleted": "LoginCompanyDeleted",
    "ContentIdendifierCompany": "ProviderIdCompany", "ContentIdendifierDeleted": "ProviderIdCompanyDeleted",
    "ContentCodeCompany": "CodeCompany", "ContentCodeDeleted": "CodeCompanyDeleted",
}
SHAPE_TYPES = {("id",): "IdKey", ("company", "id"): "IdCompany", ("company", "login"): "LoginCompany",
               ("deleted", "id", "v"): "IdDeleted"}
ERROR_NOUN = {"CompanyReseller": "reseller", "BillableHostingRule": "hostingRule",
              "BillableHostingDiscount": "hostingDiscount", "BillableHostingLicense": "hostingLicense"}
FILTER_LABEL = {"company": "company", "asset": "asset", "user": "user", "userGroup": "user group",
                "config": "provider configuration", "behaviour": "behaviour", "behaviourScript": "behaviour script",
                "billingProfile": "billing profile"}
FILTER_FIELDS = ["company", "asset", "user", "userGroup", "config", "behaviour", "behaviourScript", "billingProfile"]

COMMAND_DESC = {
    "noop": "Does nothing; send it to keep an idle connection alive.",
    "getTimezone": "Fetches one timezone by its code.",
    "getTimezonesList": "Lists every timezone the server knows.",
    "getProviderConfigType": "Fetches one provider configuration type of the older configuration model (older "
                             "name of getProviderConfigurationType).",
    "getProviderConfigTypesList": "Lists the provider configuration types of the older configuration model "
                                  "available to a company (older name of getProviderConfigurationTypesList).",
    "subscribe": "Subscribes the session to change messages of the given types for one company; the reply says "
                 "which types were added, refused for lack of permission, or not recognised.",
    "unsubscribe": "Removes subscriptions of the given types for one company.",
    "getSubscriptionsList": "Lists the subscriptions this session holds, per company.",
    "getSessionDetails": "Describes the current session: the logged-in account, the policies that apply, the ghost "
                         "id and its expiry.",
    "login": "Logs in with a login (email) and password; on success the session's ghost id can be used to resume "
             "the session on later connections.",
    "logout": "Ends the current session; its ghost id stops working and the client should close the connection.",
    "updateOwnContact": "Changes the caller's own contact card.",
    "updateOwnPassword": "Changes the caller's own password; this also lifts the restriction of a session whose "
                         "password had expired.",
    "updateOwnPreferences": "Changes the caller's own preferences: language, timezone, formats, units, notification "
                            "rules and options.",
    "killSession": "Ends someone's session by its handle.",
    "cancelDispatchJob": "Cancels a dispatch job: the server adds the `cancelled` tag and stores the reason.",
    "changeDispatchJob": "Updates a dispatch job from the driver's side, for example to complete its steps.",
    "getAssetsListByReference": "Lists the assets of a company that have a given reference (older command).",
    "getAssetsListByReferences": "Lists the assets of a company whose references match all the given key/value "
                                 "pairs (older command).",
    "getAsset": "Fetches one asset with all its parts.",
    "getAssetsList": "Lists every asset of a company with all their parts; the reply replaces what the client knows "
                     "of that company's assets.",
    "mergeAsset": "Creates an asset when id is 0 or absent (company, kind, name and icon are then needed), "
                  "otherwise updates it when `v` matches the stored versions. The reply carries only the id and "
                  "company; the full asset arrives through sync messages.",
    "removeAsset": "Deletes an asset; it is kept and can be restored.",
    "restoreAsset": "Restores a deleted asset.",
    "suspendAsset": "Suspends an asset: it is kept, but data from its devices is no longer processed.",
    "reviveAsset": "Revives a suspended asset so that data from its devices is processed again.",
    "getCompany": "Fetches one company with all its parts.",
    "getCompaniesList": "Lists the companies under a company with all their parts.",
    "mergeCompany": "Creates a company under a parent when id is 0 or absent, otherwise updates it when `v` matches "
                    "the stored versions. The reply carries only the id and parent.",
    "removeCompany": "Deletes a company; it is kept and can be restored.",
    "restoreCompany": "Restores a deleted company.",
    "getUser": "Fetches one user, by login, with all its parts.",
    "getUsersList": "Lists every user of a company with all their parts.",
    "mergeUser": "Creates a user when the login is new, otherwise updates it when `v` matches the stored versions.",
    "removeUser": "Deletes a user; it is kept and can be restored.",
    "restoreUser": "Restores a deleted user.",
    "getMachine": "Fetches one machine account by its key.",
    "getMachinesList": "Lists every machine account of a company.",
    "mergeMachine": "Creates a machine account when the key is new, otherwise updates it when `v` matches the "
                    "stored version.",
    "getSession": "Fetches one login session by its handle.",
    "getSessionsList": "Lists the login sessions of a company's users.",
    "getSessionsListByUser": "Lists the login sessions of one user.",
}

COMMAND_ERRORS = {
    "login": ["invalidCredentials", "userDisabled", "passwordExpired", "applicationNotAllowed", "ipNotAllowed",
              "referrerNotAllowed", "multiUserDenied", "sessionThrottled"],
    "updateOwnPassword": ["invalidCredentials", "noncompliantPassword", "samePassword"],
    "updateOwnContact": ["contactNotFound"],
    "killSession": ["suicide"],
    "subscribe": ["companyNotFound"], "unsubscribe": ["companyNotFound"],
    "getTimezone": ["timezoneNotFound"],
    "getProviderConfigType": ["providerConfigurationTypeNotFound"],
    "getProviderConfigTypesList": ["companyNotFound"],
    "cancelDispatchJob": ["dispatchJobNotFound"],
    "changeDispatchJob": ["dispatchJobNotFound", "wrongVersionKey"],
    "getAssetsListByReference": ["companyNotFound"], "getAssetsListByReferences": ["companyNotFound"],
    "removeUser": ["userNotFound", "suicide"],
}

COMMAND_NOTES = {
    "mergeUser": "The catalogue gives the reply as {id, company} (RepUserMerge) although users are keyed by login; "
                 "followed as given.",
    "getAssetAdvancedsList": "The plural follows the naming rule literally (Advanceds).",
    "getUserAdvancedsList": "The plural follows the naming rule literally (Advanceds).",
    "getProviderAdvancedsList": "The plural follows the naming rule literally (Advanceds).",
    "getDashcamLivesList": "The plural follows the naming rule literally (Lives).",
    "killSession": "The reply is assumed to carry the session handle.",
}

BILLING_NOTE = "No v5 client defines billing payloads: request and reply keys are the catalogue's assumptions."
LIST_PAGING_NOTE = None


def _builder_commands():
    def error_noun(self, obj):
        base = PART_SLOTS.get(obj, (obj, 0))[0] if obj != "CompanyReseller" else obj
        return ERROR_NOUN.get(base, camel(base))

    def has_error(self, name):
        return name in ERRORS

    def parse_request(self, cmd, key, val):
        """Returns (field schema, required)."""
        v = val.strip()
        cmd["object"]
        if cmd["name"] == "getTimezone" and key == "timezone":
            self.omitted.append({"kind": "field", "name": "getTimezone.request.timezone", "reason": (
                "The catalogue gives {code: codified}; the shared CodeKey types `code` as a plain string so one key "
                "type serves timezone codes and provider registration codes alike.")})
        # inline shapes handled by dedicated SDK types
        if cmd["name"] == "cancelDispatchJob":
            return {"$ref": "DispatchJobCancel"}, True
        if cmd["name"] == "changeDispatchJob":
            return {"$ref": "DispatchJobChange"}, True
        if cmd["name"] == "updateOwnContact":
            return {"$ref": "OwnContactUpdate"}, True
        m = re.match(r"^\[\{(\w+): (\w+)\}\]", v)
        if m:
            return {"type": "array", "items": {"$ref": KEY_REFS[(m.group(1), m.group(2))]}}, True
        m = re.match(r"^\{(\w+): (\w+)\}", v)
        if m:
            return {"$ref": KEY_REFS[(m.group(1), m.group(2))]}, True
        m = re.match(r"^Param(\w+)Merge(\[\])?", v)
        if m:
            ref = {"$ref": m.group(1)}
            return ({"type": "array", "items": ref} if m.group(2) else ref), True
        m = re.match(r"^(\w+) merge fields", v)
        if m:
            return {"$ref": m.group(1)}, True
        if v.startswith("boolean"):
            out = {"type": "boolean"}
            if "default false" in v:
                out["default"] = False
            elif "default true" in v:
                out["default"] = True
            return out, False
        if v.startswith("codified Timezone.code"):
            return {"type": "string", "format": "codified"}, False
        if v.startswith("string key/value"):
            return {"type": "string"}, False
        if v.startswith("string"):
            out = {"type": "string"}
            if "email" in v:
                out["format"] = "email"
            return out, "(required" in v
        t = re.sub(r"\s*\(.*$", "", v)
        return self.schema.field(t)[0], "(required" in v

    def parse_response(self, cmd, key, val):
        v = val.strip()
        m = re.search(r"\((Content\w+)", v)
        if m:
            ref = {"$ref": CONTENT_TYPES[m.group(1)]}
            return {"type": "array", "items": ref} if v.startswith("[") else ref
        if v.startswith("{company: ulong, subscriptionTypes"):
            return {"type": "array", "items": {"$ref": "SubscriptionEntry"}}
        if v.startswith("Session handle content"):
            return {"$ref": "HandleKey"}
        if v.startswith("Timezone {"):
            return {"$ref": "Timezone"}
        if v.startswith("{"):
            names = tuple(sorted(n for n, _ in parse_shape(v)))
            return {"$ref": SHAPE_TYPES[names]}
        t = re.sub(r"\s*\(.*$", "", v)
        return self.schema.field(t)[0]

    def plural_label(self, obj):
        return self.obj_phrase(obj, plural_form=True) if obj in PART_SLOTS else plural(self.owner_label(obj))

    def request_desc(self, cmd, key, verb, obj, filt):
        o = self.obj_phrase(obj) if obj else ""
        p = self.plural_label(obj) if obj else ""
        if obj in PART_SLOTS:
            base_p = plural(label(PART_SLOTS[obj][0]))
            del_text, sus_text = f"the parts of deleted {base_p}", f"the parts of suspended {base_p}"
        else:
            del_text, sus_text = f"deleted {p}", f"suspended {p}"
        name = cmd["name"]
        fixed = {
            "includeDeleted": f"Also return {del_text}." if p else "Also return deleted objects.",
            "includeSuspended": f"Also return {sus_text}; the server treats an absent flag as true.",
            "includeMessages": "Also return the asset's messages.",
            "includeTasks": "Also return the asset's dispatch tasks.",
            "labels": f"Only return {p} that carry every one of these labels.",
            "references": f"Only return {p} whose references contain every one of these key/value pairs.",
            "reference": "The reference to match, as key and value text.",
            "subscriptionTypes": "Subscription types to add or remove.",
            "username": "Login (email address) of the user.",
            "password": "Password of the user." if name == "login" else "The new password.",
            "userAgent": "Name of the client application; session policies may restrict which ones may log in.",
            "current": "The current password.",
            "language": "Preferred language as a culture code such as en-US.",
            "timezone": "Code of the preferred timezone (see Timezone).",
            "notify": "Notification rules: when and how to be alerted.",
            "formats": "Preferred display formats, keyed by format name.",
            "measurements": "Preferred system of units for each kind of measurement.",
            "options": "Free-form settings keyed by name; a null value removes that setting.",
        }
        if key in fixed:
            return fixed[key]
        if name == "subscribe" and key == "company":
            return "The company whose changes to receive."
        if name == "unsubscribe" and key == "company":
            return "The company whose changes to stop receiving."
        if key == "subscriptionTypes":
            return "Subscription types to add." if name == "subscribe" else "Subscription types to remove."
        if name == "getTimezone":
            return "Which timezone, by code."
        if name == "cancelDispatchJob":
            return "Which dispatch job to cancel, and why."
        if name == "changeDispatchJob":
            return "The dispatch job changes."
        if name == "updateOwnContact":
            return "The contact fields to change; fields left out keep their values."
        if name == "killSession":
            return "Which session to end."
        if verb == "list" or (verb == "special" and key == filt):
            return f"The {FILTER_LABEL.get(key, human(key))} whose {p} to list."
        if verb in ("clear",):
            return f"The {FILTER_LABEL.get(key, human(key))} whose behaviour logs to delete."
        if verb == "multiMerge":
            return f"The {p} to create or update, each as merge{obj} takes it."
        if verb == "multiRemove":
            return f"Which {p} to delete."
        if verb == "merge" and obj in PART_SLOTS:
            return (f"The fields of {o} to change, with the {label(PART_SLOTS[obj][0])}'s key and the `v` last "
                    f"seen. Fields left out keep their values.")
        if verb == "merge":
            return (f"The fields of {o} to store: send its key and `v` to update it, or leave the key out to create "
                    f"it. Fields left out keep their values.")
        what = {"get": "fetch", "remove": "delete", "restore": "restore", "suspend": "suspend",
                "revive": "revive", "special": "use"}[verb]
        if obj in PART_SLOTS:
            return f"Which {label(PART_SLOTS[obj][0])} to {what} the part of."
        return f"Which {self.owner_label(obj) if obj else key} to {what}."

    def response_desc(self, cmd, key, verb, obj, filt, req_keys):
        name = cmd["name"]
        o = self.obj_phrase(obj) if obj else ""
        p = self.plural_label(obj) if obj else ""
        fixed = {
            "merged": "Subscription types now held that this command added.",
            "denied": "Requested subscription types refused because the session lacks the permission.",
            "invalid": "Requested subscription type names the server does not recognise.",
            "removed": "Subscription types this command removed.",
            "subscriptions": "The subscriptions held, one entry per company.",
            "labels": "The labels filter, echoed back.",
            "references": "The references filter, echoed back.",
            "ghostId": "The ghost id of the session that just ended; it no longer works.",
            "expiry": "When the session ended.",
            "expires": "When the new password expires.",
            "passwordPolicy": "The password rules that apply to the account.",
            "timezones": "Every timezone the server knows.",
        }
        if name in ("subscribe", "unsubscribe") and key == "company":
            return "The company the change applies to."
        if name == "unsubscribe" and key in ("merged", "denied"):
            return ("Same field as in the subscribe reply (the two commands share one reply shape); its meaning for "
                    "unsubscribe is not documented.")
        if key in fixed:
            return fixed[key]
        if key in req_keys and key == filt:
            return f"The {FILTER_LABEL.get(key, human(key))} the list was made for, echoed back."
        if verb in ("list",) or (verb == "special" and "List" in name):
            return f"The {p} found; they replace what the client knew of them for this filter."
        if verb == "get" or (verb == "special" and name.startswith("get")):
            return f"The requested {o.split(' ', 1)[1] if o.startswith(('a ', 'an ')) else o.replace('the ', '', 1)}."
        if verb == "clear":
            return f"The {FILTER_LABEL.get(key, human(key))} whose logs were deleted, echoed back."
        if verb == "merge" and obj in PART_SLOTS:
            return (f"Key and owner of the updated {label(PART_SLOTS[obj][0])}; the full part follows in sync "
                    f"messages.")
        if verb in ("merge",) or name in ("cancelDispatchJob", "changeDispatchJob"):
            return (f"Key and owner of the created or updated {self.owner_label(obj)}; the full object follows in "
                    f"sync messages.")
        if verb == "multiMerge":
            return f"Key and owner of each created or updated {self.owner_label(obj)}, in request order."
        if verb in ("remove", "restore"):
            return f"Key, owner, deleted flag and new versions of the {self.owner_label(obj)}."
        if verb == "multiRemove":
            return f"Key, owner, deleted flag and new versions of each {self.owner_label(obj)}, in request order."
        if verb in ("suspend", "revive"):
            return f"Key, owner, suspended flag and new versions of the {self.owner_label(obj)}."
        if name == "killSession":
            return "The session that was ended."
        return f"The {human(key)}."

    def command_desc(self, cmd, verb, obj, filt):
        name = cmd["name"]
        if name in COMMAND_DESC:
            return COMMAND_DESC[name]
        o = self.obj_phrase(obj)
        p = self.plural_label(obj)
        base = PART_SLOTS.get(obj, (obj, 0))[0]
        if verb == "get":
            if obj in PART_SLOTS:
                return f"Fetches {o} by the {label(base)}'s key."
            return f"Fetches one {self.owner_label(obj)} by its key."
        if verb == "list":
            scope = {"company": "under a company" if base == "Company" else "of a company", "asset": "of one asset", "user": "of one user",
                     "userGroup": "of the users in one user group", "config": "using one provider configuration",
                     "behaviour": "written by one behaviour", "behaviourScript": "written by one behaviour script",
                     "billingProfile": "of one billing profile"}[filt]
            extra = ""
            if "Unassigned" in name:
                extra += " that are not assigned to any asset"
            if name.endswith("AndLabels"):
                extra += " that carry every given label"
            if name.endswith("AndRefPairs"):
                extra += " whose references match every given key/value pair"
            return f"Lists the {p} {scope}{extra}; the reply replaces what the client knows of them."
        if verb == "merge":
            key = self.types[base]["def"].get("x-key", "id") if base in self.types else "id"
            if obj in PART_SLOTS:
                return (f"Updates {o} when `v` matches the stored version; the reply carries only the key and owner, "
                        f"the full part arrives through sync messages.")
            create = "when id is 0 or absent" if key == "id" and obj != "Provider" else f"when the {key} is new"
            return (f"Creates {article(self.owner_label(obj))} {create}, otherwise updates it when `v` matches the "
                    f"stored version; the reply carries only the key and owner, the full object arrives through "
                    f"sync messages.")
        if verb == "remove":
            return f"Deletes {o}; it is kept and can be restored."
        if verb == "restore":
            return f"Restores a deleted {self.owner_label(obj)}."
        if verb == "suspend":
            return f"Suspends {o}: it is kept, but its data is no longer processed."
        if verb == "revive":
            return f"Revives a suspended {self.owner_label(obj)} so that its data is processed again."
        if verb == "multiMerge":
            return f"Creates or updates several {p} in one command, each as merge{obj} would."
        if verb == "multiRemove":
            return f"Deletes several {p} in one command; they can be restored."
        if verb == "clear":
            scope = {"asset": "of one asset", "behaviour": "written by one behaviour",
                     "behaviourScript": "written by one behaviour script"}[filt]
            return f"Deletes every behaviour log {scope}."
        raise KeyError(name)

    Builder.error_noun = error_noun
    Builder.has_error = has_error
    Builder.parse_request = parse_request
    Builder.parse_response = parse_response
    Builder.plural_label = plural_label
    Builder.request_desc = request_desc
    Builder.response_desc = response_desc
    Builder.command_desc = command_desc


_builder_commands()


def _builder_build_commands():
    def emits_for(self, name, verb, obj):
        if not obj or obj not in self.types:
            return []
        base = PART_SLOTS.get(obj, (obj, 0))[0]
        if obj == "CompanyReseller":
            base = "CompanyReseller"
        merged = [m for m, d in self.messages.items() if d["kind"] == "merged"]
        def merged_of(target):
            out = []
            for m in merged:
                mo = self.msg_object.get(m)
                if mo is None:
                    continue
                if mo == target or PART_SLOTS.get(mo, (None,))[0] == target:
                    out.append(m)
            return out
        def kind_of(kind, target):
            return [m for m, d in self.messages.items() if d["kind"] == kind and self.msg_object.get(m) == target]
        if verb in ("merge", "multiMerge") or name in ("cancelDispatchJob", "changeDispatchJob"):
            return merged_of(obj)
        if verb in ("remove", "multiRemove"):
            return kind_of("deleted", base)
        if verb == "restore":
            general = [m for m in merged_of(obj) if "General" in m]
            return general or merged_of(obj)
        if verb == "suspend":
            return kind_of("suspended", base)
        if verb == "revive":
            return kind_of("suspended", base) + [m for m in merged_of(obj) if "General" in m]
        if name == "updateOwnPreferences":
            return ["sessionGeneralMerged"]
        if name == "updateOwnContact":
            return ["contactMerged"]
        return []

    def errors_for(self, name, verb, obj, filt):
        if name in COMMAND_ERRORS:
            return [e for e in COMMAND_ERRORS[name] if e in ERRORS]
        if not obj or obj in ("Session", "Subscription", "Timezone"):
            return []
        noun = self.error_noun(obj)
        out = []
        nf, nd, iu = f"{noun}NotFound", f"{noun}NotDeleted", f"{noun}InUse"
        if verb == "get":
            out = [nf]
        elif verb in ("list", "clear"):
            out = [f"{self.error_noun({'config': 'ProviderConfig'}.get(filt, filt[:1].upper() + filt[1:]))}NotFound"]
        elif verb in ("merge", "multiMerge"):
            out = [nf, "wrongVersionKey"]
        elif verb in ("remove", "multiRemove"):
            out = [nf, iu]
        elif verb == "restore":
            out = [nf, nd]
        elif verb == "suspend":
            out = [nf, f"{noun}Suspended"]
        elif verb == "revive":
            out = [nf, f"{noun}NotSuspended"]
        return [e for e in out if e in ERRORS]

    def build_commands(self):
        for c in self.commands_json["commands"]:
            name = c["name"]
            if name == "connection":
                self.omitted.append({"kind": "command", "name": "connection", "reason": (
                    "Not a command: the server sends connectionResponse on its own as the first frame of every "
                    "connection. It is described as the message connectionResponse, and the endpoints in "
                    "api.yaml.")})
                continue
            section = CATALOGUE_SECTION[c["section"]]
            verb = c["verb"]
            obj = c["object"] if c["object"] in self.types else None
            d: dict = {"verb": verb}
            if obj and name != "noop":
                d["object"] = obj
            req_keys = list(c["request"])
            filt = None
            if verb in ("list", "clear") or (verb == "special" and "List" in name and name != "getSubscriptionsList"):
                filt = next((k for k in req_keys if k in FILTER_FIELDS), None)
            d["description"] = self.command_desc(c, verb, obj, filt)
            ev = [e for e in c["evidence"] if e in ALLOWED_EVIDENCE]
            dropped = [e for e in c["evidence"] if e not in ALLOWED_EVIDENCE]
            d["evidence"] = ev
            notes = []
            if dropped:
                notes.append("Evidence words outside our vocabulary dropped: " + ", ".join(dropped) + ".")
            if c.get("notes"):
                notes.append("Catalogue note: " + c["notes"].rstrip(".") + ".")
            if name in COMMAND_NOTES:
                notes.append(COMMAND_NOTES[name])
            if section == "billing":
                notes.append(BILLING_NOTE)
            texts = " ".join(list(c["request"].values()) + list(c["response"].values()))
            if "Idendifier" in texts:
                notes.append("The catalogue spells the reply class ContentIdendifier… (a typo of Identifier); the "
                             "shape is used as given.")
            if re.search(r"not verified|assumed|inferred|key inferred", texts):
                notes.append("Some request or reply keys are marked unverified or assumed in the catalogue.")
            if notes:
                d["x-note"] = " ".join(notes)
            if filt and verb in ("list", "special"):
                d["x-filter"] = filt
            if section == "self":
                d["x-resource"] = "account"
            # request
            if name == "noop" or not c["request"]:
                d["request"] = {}
            else:
                props, required = {}, []
                for k, v in c["request"].items():
                    schema, req = self.parse_request(c, k, v)
                    props[k] = {**schema, "description": self.request_desc(c, k, verb, obj, filt)}
                    if req:
                        required.append(k)
                d["request"] = {"properties": props}
                if required:
                    d["request"]["required"] = required
            # response
            if name in ("login", "getSessionDetails"):
                d["response"] = {"$ref": "SessionDetails"}
            elif not c["response"]:
                d["response"] = {}
            else:
                props = {}
                for k, v in c["response"].items():
                    schema = self.parse_response(c, k, v)
                    props[k] = {**schema, "description": self.response_desc(c, k, verb, obj, filt, req_keys)}
                if name == "unsubscribe":
                    self.omitted.append({"kind": "field", "name": "unsubscribe.response.removed", "reason": (
                        "Not in the catalogue's reply keys (it gives the subscribe reply shape), but the "
                        "partial-success article names `removed` for unsubscribeResponse; kept so it is typed.")})
                    props["removed"] = {"type": "array", "items": {"$ref": "SubscriptionType"},
                                        "description": self.response_desc(c, "removed", verb, obj, filt, req_keys),
                                        "x-note": "The partial-success article names `removed` (and `invalid`) "
                                                  "for unsubscribeResponse, while the command list gives the "
                                                  "subscribe reply shape; both are kept."}
                d["response"] = {"properties": props}
            d["errors"] = self.errors_for(name, verb, obj, filt)
            d["emits"] = self.emits_for(name, verb, obj)
            self.commands[name] = {"section": section, "def": d}
        for u in self.commands_json["unresolved_payloads"]:
            self.omitted.append({"kind": "command", "name": u["ts_payload"], "reason": (
                "Unresolved in the catalogue: " + UNRESOLVED_REASON.get(u["ts_payload"], "no wire name found") + ".")})

    Builder.emits_for = emits_for
    Builder.errors_for = errors_for
    Builder.build_commands = build_commands


UNRESOLVED_REASON = {
    "PayDispatchJobBatchCancel": "a batch cancel of dispatch jobs exists in the TS client but no wire name was found "
                                 "and none follows from the naming rules",
    "PayDispatchJobBatchChange": "a batch change of dispatch jobs exists in the TS client but no wire name was found",
    "RepUserStateGet / RepUserStateList (replies only)": "reply classes exist without a request class, so no command "
                                                         "name is known; the settings part is still described as "
                                                         "UserSetting",
    "updateState (dist TrakitObjectCommander.d.ts method)": "a client method to update the caller's state flags "
                                                            "exists, but its payload and wire name were not found",
    "PayMachineListByUserGroup (implied by RepMachineListByUserGroup)": "only the reply class was seen; the rule "
                                                                        "would give getMachinesListByUserGroup, but "
                                                                        "nothing confirms it",
    "PayDispatchTaskListByAsset* / ByCompanyAndRefPairs": "the derived names already appear as commands "
                                                          "(getDispatchTasksListByAsset…); this entry only records "
                                                          "that their reference key is assumed",
    "Hours of Service": "the section exists in the JSON reference but no WebSocket commands were found; its retired "
                        "objects are kept as types in section hos",
}


_builder_build_commands()


# ----------------------------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------------------------

FIELD_ORDER = ["type", "format", "$ref", "items", "propertyNames", "additionalProperties", "default", "maxLength",
               "minimum", "maximum", "description", "deprecated", "x-replaced-by", "x-python-name", "x-note"]
TYPE_ORDER = ["description", "deprecated", "x-replaced-by", "x-key", "x-key-ref", "x-owner", "x-part-of",
              "x-version-slot", "x-source", "x-note", "properties", "required"]
ENUM_ORDER = ["type", "description", "deprecated", "x-replaced-by", "x-source", "x-note", "members"]
MEMBER_ORDER = ["value", "description", "deprecated", "x-replaced-by", "x-python-name"]
COMMAND_ORDER = ["verb", "object", "description", "evidence", "deprecated", "x-replaced-by", "x-filter", "x-method",
                 "x-resource", "x-note", "request", "response", "errors", "emits"]
MESSAGE_ORDER = ["kind", "payload", "envelope", "description", "evidence", "deprecated", "x-replaced-by", "x-note"]
SUB_ORDER = ["description", "object", "messages", "retired", "deprecated", "x-replaced-by", "x-note"]
ERROR_ORDER = ["code", "group", "description", "deprecated", "x-replaced-by", "x-note"]


def ordered(d: dict, order: list[str]) -> dict:
    unknown = [k for k in d if k not in order]
    if unknown:
        raise KeyError(f"unordered keys {unknown}")
    return {k: d[k] for k in order if k in d}


def order_field(f: dict) -> dict:
    out = ordered(f, FIELD_ORDER)
    for k in ("items", "additionalProperties"):
        if k in out:
            out[k] = order_field(out[k])
    return out


def order_fieldset(fs: dict) -> dict:
    out = {}
    if "$ref" in fs:
        out["$ref"] = fs["$ref"]
    if "properties" in fs:
        out["properties"] = {k: order_field(v) for k, v in fs["properties"].items()}
    if "required" in fs:
        out["required"] = fs["required"]
    return out


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def dump(data, path: Path, header: str):
    text = yaml.dump(data, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=10_000, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + text)


HEADER = ""  # the files are maintained by hand once seeded; no "generated, do not edit" banner

SECTION_ORDER = list(SECTIONS)


def _builder_write():
    def write(self, out: Path):
        # clean previous generated files (only ours)
        for sub in ("enums", "types", "commands"):
            for p in (out / sub).glob("*.yaml"):
                p.unlink()
        api = {
            "name": "Fleet Freedom",
            "package": "fleetfreedom",
            "version": "0.1.0",
            "description": "Typed client for the Fleet Freedom (Trak-iT) WebSocket API: commands with correlated "
                           "replies, per-company change subscriptions and the messages the server pushes.",
            "endpoints": [
                {"url": "wss://socket.fleetfreedom.com/{ghostId}", "default": True,
                 "description": "Main endpoint; the path carries the session's ghost id (a new guid to start a "
                                "fresh session, a saved one to resume)."},
                {"url": "wss://socket.fleetfreedom.com:40000/{ghostId}",
                 "description": "The same service on port 40000, for networks that block the default port."},
            ],
            "frame": {"grammar": "name<space>{JSON}", "separator": " ",
                      "description": "Every frame is a command or message name, one space, then a JSON object. "
                                     "Replies are named after the command with the suffix Response."},
            "envelope": {
                "request": {"properties": {"reqId": {"type": "integer", "format": "int", "description": (
                    "Number chosen by the client; the reply echoes it so replies can be matched to requests.")}}},
                "reply": {"properties": {
                    "reqId": {"type": "integer", "format": "int",
                              "description": "The reqId of the request this reply answers."},
                    "errorCode": {"$ref": "ErrorCode", "description": "Result of the command; success (0) or an "
                                                                      "error code."},
                    "message": {"type": "string", "description": "Human-readable text explaining the result."},
                    "errorDetails": {"$ref": "ErrorDetail", "description": "Extra details about a failure, when "
                                                                           "the server gives any."},
                }},
            },
            "sections": {sid: {"title": t, "description": dsc} for sid, (t, dsc) in SECTIONS.items()},
        }
        api["envelope"]["request"] = order_fieldset(api["envelope"]["request"])
        api["envelope"]["reply"] = order_fieldset(api["envelope"]["reply"])
        dump(api, out / "api.yaml", HEADER)
        dump({"errors": {k: ordered(v, ERROR_ORDER) for k, v in self.errors.items()}}, out / "errors.yaml", HEADER)

        def by_section(items):
            res: dict[str, dict] = {}
            for name, entry in items.items():
                res.setdefault(entry["section"], {})[name] = entry["def"]
            return {s: res[s] for s in SECTION_ORDER if s in res}

        for section, enums in by_section(self.enums).items():
            body = {}
            for name, d in enums.items():
                d = ordered(d, ENUM_ORDER)
                d["members"] = {m: ordered(md, MEMBER_ORDER) for m, md in d["members"].items()}
                body[name] = d
            dump({"section": section, "enums": body}, out / "enums" / f"{section}.yaml", HEADER)
        for section, types in by_section(self.types).items():
            body = {}
            for name, d in types.items():
                d = ordered(d, TYPE_ORDER)
                d["properties"] = {k: order_field(v) for k, v in d["properties"].items()}
                body[name] = d
            dump({"section": section, "types": body}, out / "types" / f"{section}.yaml", HEADER)
        for section, cmds in by_section(self.commands).items():
            body = {}
            for name, d in cmds.items():
                d = ordered(d, COMMAND_ORDER)
                d["request"] = order_fieldset(d["request"])
                d["response"] = order_fieldset(d["response"])
                body[name] = d
            dump({"section": section, "commands": body}, out / "commands" / f"{section}.yaml", HEADER)
        dump({"subscriptions": {k: ordered(v, SUB_ORDER) for k, v in self.subscriptions.items()},
              "messages": {k: ordered(v, MESSAGE_ORDER) for k, v in self.messages.items()}},
             out / "subscriptions.yaml", HEADER)
        dump({"omitted": self.omitted}, out / "omitted.yaml", HEADER)

    Builder.write = write


_builder_write()


# ----------------------------------------------------------------------------------------------------------------
# Cross-reference checks
# ----------------------------------------------------------------------------------------------------------------

def _builder_check():
    def check(self) -> list[str]:
        problems: list[str] = []
        known = set(self.types) | set(self.enums) | {"ErrorCode", "SubscriptionType"}
        dup = set(self.types) & set(self.enums)
        if dup:
            problems.append(f"names used by both a type and an enum: {sorted(dup)}")
        for derived in ("ErrorCode", "SubscriptionType"):
            if derived in self.types or derived in self.enums:
                problems.append(f"{derived} is built by the generator and must not be written as a type or enum")
        dup = set(self.commands) & set(self.messages)
        if dup:
            problems.append(f"names used by both a command and a message: {sorted(dup)}")

        def walk_field(where, f, top=True):
            if "$ref" in f and f["$ref"] not in known:
                problems.append(f"{where}: unknown $ref {f['$ref']}")
            if "propertyNames" in f and "$ref" in f["propertyNames"] and f["propertyNames"]["$ref"] not in self.enums:
                problems.append(f"{where}: propertyNames $ref {f['propertyNames']['$ref']} is not an enum")
            for k in ("items", "additionalProperties"):
                if k in f:
                    walk_field(where, f[k], False)
            if top and not f.get("description"):
                problems.append(f"{where}: missing description")

        def walk_set(where, fs):
            if "$ref" in fs and fs["$ref"] not in self.types:
                problems.append(f"{where}: unknown $ref {fs['$ref']}")
            for k, f in fs.get("properties", {}).items():
                walk_field(f"{where}.{k}", f)
            for r in fs.get("required", []):
                if r not in fs.get("properties", {}):
                    problems.append(f"{where}: required {r} is not a property")

        for s, entries in (("type", self.types), ("enum", self.enums), ("command", self.commands)):
            for name, e in entries.items():
                if e["section"] not in SECTIONS:
                    problems.append(f"{s} {name}: unknown section {e['section']}")
        slots: dict[str, dict[int, str]] = {}
        for name, e in self.types.items():
            d = e["def"]
            for k, f in d["properties"].items():
                walk_field(f"type {name}.{k}", f)
            for k in ("x-key", "x-owner"):
                if k in d and d[k] not in d["properties"]:
                    problems.append(f"type {name}: {k} {d[k]} is not a property")
            if "x-part-of" in d:
                if d["x-part-of"] not in self.types:
                    problems.append(f"type {name}: x-part-of {d['x-part-of']} unknown")
                taken = slots.setdefault(d["x-part-of"], {})
                if d["x-version-slot"] in taken:
                    problems.append(f"type {name}: slot {d['x-version-slot']} also used by {taken[d['x-version-slot']]}")
                taken[d["x-version-slot"]] = name
            if "required" in d and d.get("x-source") != "sdk":
                problems.append(f"type {name}: only SDK helper types may have required")
            if d.get("x-replaced-by") and d["x-replaced-by"] not in known:
                problems.append(f"type {name}: x-replaced-by {d['x-replaced-by']} unknown")
        for name, e in self.enums.items():
            d = e["def"]
            if d.get("x-replaced-by") and d["x-replaced-by"] not in self.enums:
                problems.append(f"enum {name}: x-replaced-by {d['x-replaced-by']} unknown")
            for m, md in d["members"].items():
                if md.get("x-replaced-by") and md["x-replaced-by"] not in d["members"]:
                    problems.append(f"enum {name}.{m}: x-replaced-by unknown")
        for name, e in self.commands.items():
            d = e["def"]
            if "object" in d and d["object"] not in self.types:
                problems.append(f"command {name}: unknown object {d['object']}")
            walk_set(f"command {name}.request", d["request"])
            walk_set(f"command {name}.response", d["response"])
            for err in d.get("errors", []):
                if err not in self.errors:
                    problems.append(f"command {name}: unknown error {err}")
            for m in d.get("emits", []):
                if m not in self.messages:
                    problems.append(f"command {name}: unknown message {m}")
            if "x-filter" in d and d["x-filter"] not in d["request"].get("properties", {}):
                problems.append(f"command {name}: x-filter {d['x-filter']} is not a request field")
            if d["verb"] == "list" and "x-filter" not in d:
                problems.append(f"command {name}: list command without x-filter")
        for name, d in self.subscriptions.items():
            if d["object"] not in self.types:
                problems.append(f"subscription {name}: unknown object {d['object']}")
            for m in d["messages"]:
                if m not in self.messages:
                    problems.append(f"subscription {name}: unknown message {m}")
        for name, d in self.messages.items():
            if d["payload"] not in self.types:
                problems.append(f"message {name}: unknown payload {d['payload']}")
            if d.get("x-replaced-by") and d["x-replaced-by"] not in self.messages:
                problems.append(f"message {name}: x-replaced-by unknown")
        for name, d in self.errors.items():
            if d.get("x-replaced-by") and d["x-replaced-by"] not in self.errors:
                problems.append(f"error {name}: x-replaced-by unknown")
        codes = sorted(d["code"] for d in self.errors.values())
        if codes != list(range(len(codes))):
            problems.append("error codes are not 0..n-1")
        sub_types = set(self.subscriptions)
        enum_members = set(self.enums_json["SubscriptionType"]["values"])
        if not enum_members <= sub_types:
            problems.append(f"SubscriptionType members without subscription: {sorted(enum_members - sub_types)}")
        # Python enum member names must not collide once upper-snake-cased.
        for name, e in self.enums.items():
            seen: dict[str, str] = {}
            for m in e["def"]["members"]:
                key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", m).upper()
                if key in seen:
                    problems.append(f"enum {name}: members {seen[key]} and {m} collide as {key}")
                seen[key] = m
        # Descriptions that only restate the name.
        for name, e in self.types.items():
            for k, f in e["def"]["properties"].items():
                text = f.get("description", "").lower().rstrip(".")
                if text in (human(k).lower(), f"the {human(k).lower()}"):
                    problems.append(f"type {name}.{k}: description only restates the name")
        return problems

    Builder.check = check


_builder_check()


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=Path("/work/shared/reference"))
    ap.add_argument("--schema", type=Path, default=here / "schema")
    ap.add_argument("--force", action="store_true", help="overwrite a maintained schema folder (discards hand edits)")
    args = ap.parse_args(argv)
    if (args.schema / "api.yaml").exists() and not args.force:
        print(f"{args.schema} already holds a maintained schema; seed into a scratch folder (--schema DIR) "
              "or pass --force to overwrite it", file=sys.stderr)
        return 2
    b = Builder(args.reference)
    b.build_types()
    b.build_enums()
    b.build_errors()
    b.build_messages()
    b.build_subscriptions()
    b.build_commands()
    problems = b.check()
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    if problems:
        return 1
    b.write(args.schema)
    catalogue_cmds = len(b.commands_json["commands"])
    omitted_cmds = sum(1 for o in b.omitted if o["kind"] == "command" and o["name"] in
                       {c["name"] for c in b.commands_json["commands"]})
    by_source: dict[str, int] = {}
    for e in b.types.values():
        by_source[e["def"]["x-source"]] = by_source.get(e["def"]["x-source"], 0) + 1
    print(f"commands      {len(b.commands)} (catalogue {catalogue_cmds} - omitted {omitted_cmds})")
    print(f"types         {len(b.types)} ({', '.join(f'{k} {v}' for k, v in sorted(by_source.items()))})")
    print(f"enums         {len(b.enums)} (+ ErrorCode from errors.yaml, SubscriptionType from subscriptions.yaml)")
    print(f"errors        {len(b.errors)}")
    print(f"subscriptions {len(b.subscriptions)} ({sum(1 for s in b.subscriptions.values() if s.get('retired'))} "
          f"retired)")
    kinds: dict[str, int] = {}
    for m in b.messages.values():
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    print(f"messages      {len(b.messages)} ({', '.join(f'{k} {v}' for k, v in kinds.items())})")
    print(f"omitted       {len(b.omitted)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
