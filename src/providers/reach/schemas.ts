import { z } from 'zod';

/** Reach shapes (reach.md). Unknown extra fields are accepted: the API may grow. */
export const MessagingItemSchema = z
  .object({
    appletId: z.string().nullish(),
    apiVersion: z.string().nullish(),
    body: z.string(),
    dest: z.string(),
    src: z.string(),
    bulkId: z.string().nullable().optional(),
    numSegments: z.number().int().nullish(),
    numMedia: z.number().int().nullish(),
    price: z.number().nullable().optional(),
    priceUnit: z.string().nullable().optional(),
    messageId: z.string().min(1),
    status: z.string().min(1),
    messageType: z.string().nullish(),
    errorCode: z.union([z.number(), z.string()]).nullable().optional(),
    errorMessage: z.string().nullable().optional(),
    dateCreated: z.string().nullish(),
    dateSent: z.string().nullable().optional(),
    dateUpdated: z.string().nullish(),
  })
  .passthrough();
export type ReachMessage = z.output<typeof MessagingItemSchema>;

export const ListPageSchema = z.object({
  messages: z.array(MessagingItemSchema),
  page: z.number().int(),
  pageSize: z.number().int(),
  totalPages: z.number().int(),
  outOfPageRange: z.boolean(),
});

export const ErrorBodySchema = z
  .object({
    errorCode: z.union([z.number(), z.string()]).optional(),
    errorMessage: z.string().optional(),
    more_info: z.string().optional(),
    errorDetails: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

/** A status callback's form parameters (reach.md, "Status callbacks"). */
export const CallbackSchema = z
  .object({
    messageId: z.string().min(1),
    status: z.string().min(1),
    dlrDate: z
      .string()
      .regex(/^\d{10}$/, 'must be YYMMDDhhmm')
      .optional(),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
  })
  .passthrough();
