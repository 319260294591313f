// The numbering service's errors: the kit's closed set with this service's stable reasons.
export { invalidArgument, notFound, alreadyExists, failedPrecondition } from '@parley/kit';
