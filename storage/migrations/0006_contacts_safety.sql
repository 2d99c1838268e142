-- Contacts' safety: invitations bound to their first opener, decoy invitations
-- given under duress, and group contacts the activist is a member of.

-- A decoy looks and answers like a real invitation but never makes a contact.
ALTER TABLE invites ADD COLUMN decoy INTEGER NOT NULL DEFAULT 0 CHECK (decoy IN (0, 1));
-- When someone other than the first opener opened the link; the activist is told once.
ALTER TABLE invites ADD COLUMN contested_at TEXT;

-- Whether the activist is a member of this group contact: 1 yes, 0 no, NULL not
-- known yet (the check failed; it is made again before any silent alert).
-- A group with the activist in it may be open on a seized phone, so it never
-- gets duress or PIN-failure alerts.
ALTER TABLE contacts ADD COLUMN includes_activist INTEGER CHECK (includes_activist IN (0, 1));
