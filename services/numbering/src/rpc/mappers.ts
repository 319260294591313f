import type { numberingV1 } from '@parley/proto';
import type { NumberRow, OrderRow, PortInRow, ReservationRow } from '../db/schema';

/** A number's status as clients see it: a quarantine that has ended reads as released. */
export function statusOf(row: NumberRow, now = new Date()): string {
  if (row.status === 'quarantined' && row.quarantineUntil && row.quarantineUntil <= now) return 'released';
  return row.status;
}

export function numberMessage(row: NumberRow): numberingV1.PhoneNumber {
  return {
    id: row.id,
    e164: row.e164,
    country: row.country,
    assignedAt: row.assignedAt,
    status: statusOf(row),
    type: row.type,
    capabilities: row.capabilities,
    accountId: row.accountId ?? '',
    friendlyName: row.friendlyName,
    forwardingTarget: row.forwardingTarget ?? '',
    callerId: row.callerId ?? '',
    messagingWebhookUrl: row.messagingWebhookUrl ?? '',
    voiceWebhookUrl: row.voiceWebhookUrl ?? '',
    messagingProfile: row.messagingProfile,
    throughputClass: row.throughputClass,
    releasedAt: row.releasedAt ?? undefined,
    quarantineUntil: row.quarantineUntil ?? undefined,
    setupPrice: { currency: row.currency, minorUnits: row.setupMinor.toString() },
    monthlyPrice: { currency: row.currency, minorUnits: row.monthlyMinor.toString() },
  };
}

export function orderMessage(row: OrderRow): numberingV1.NumberOrder {
  return {
    id: row.id,
    phoneNumber: row.e164,
    status: row.status,
    failureReason: row.failureReason ?? '',
    numberId: row.numberId ?? '',
    createdAt: row.createdAt,
    completedAt: row.completedAt ?? undefined,
  };
}

export function reservationMessage(row: ReservationRow): numberingV1.Reservation {
  return { id: row.id, phoneNumbers: row.phoneNumbers, expiresAt: row.expiresAt, createdAt: row.createdAt };
}

export function portInMessage(row: PortInRow): numberingV1.PortIn {
  return {
    id: row.id,
    status: row.status,
    phoneNumbers: row.phoneNumbers,
    losingCarrier: row.losingCarrier,
    accountNumber: row.accountNumber ?? '',
    authorizedName: row.authorizedName ?? '',
    address: row.address
      ? {
          line1: row.address.line1,
          line2: row.address.line2 ?? '',
          city: row.address.city,
          region: row.address.region ?? '',
          postalCode: row.address.postalCode,
          country: row.address.country,
        }
      : undefined,
    requestedDate: row.requestedDate,
    focDate: row.focDate ?? undefined,
    exceptionReason: row.exceptionReason ?? '',
    documents: row.documents.map((doc) => ({ ...doc, sizeBytes: String(doc.sizeBytes) })),
    accountId: row.accountId ?? '',
    createdAt: row.createdAt,
  };
}
