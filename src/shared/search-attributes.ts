import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Typed search attributes operators filter on in the Web UI. They are NOT encrypted by payload
 * codecs, so they never hold raw phone numbers, emails, texts or codes: the recipient is masked.
 */
export const FLOW_KIND = defineSearchAttributeKey('CascadeFlowKind', SearchAttributeType.KEYWORD);
export const FLOW_STATUS = defineSearchAttributeKey('CascadeStatus', SearchAttributeType.KEYWORD);
export const CURRENT_CHANNEL = defineSearchAttributeKey('CascadeChannel', SearchAttributeType.KEYWORD);
export const TRACKING_ID = defineSearchAttributeKey('CascadeTrackingId', SearchAttributeType.KEYWORD);
export const RECIPIENT_MASK = defineSearchAttributeKey('CascadeRecipient', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [FLOW_KIND, FLOW_STATUS, CURRENT_CHANNEL, TRACKING_ID, RECIPIENT_MASK];
