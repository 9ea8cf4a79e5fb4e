/** What differs between the two databases, named once; code outside storage/dialect asks these. */
export interface DialectTraits {
  readonly name: 'sqlite' | 'postgres';
  /** `FOR UPDATE SKIP LOCKED` is available for claiming work. */
  readonly skipLocked: boolean;
}
