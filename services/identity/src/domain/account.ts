import { roles as knownRoles } from '@parley/kit';
import { invalidArgument } from '@parley/kit';

// The profile and its rules live in the kit (services/kit/src/profile.ts), shared with the gateway's
// account API schema and privacy's rectification intake.
export {
  ageOn,
  applyProfile,
  isTimeZone,
  UnderMinimumAge,
  type Address,
  type Profile,
  type ProfileInput,
} from '@parley/kit';

export function parseRoles(values: string[], field = 'roles'): string[] {
  const unknown = values.filter((role) => !knownRoles.includes(role));
  if (values.length === 0 || unknown.length > 0) {
    throw invalidArgument('ROLES_INVALID', `roles must be some of ${knownRoles.join(', ')}`, [
      {
        field,
        description: unknown.length > 0 ? `unknown roles: ${unknown.join(', ')}` : 'at least one role',
      },
    ]);
  }
  return [...new Set(values)];
}

export function checkPassword(password: string): void {
  if (password !== '' && (password.length < 12 || password.length > 256)) {
    throw invalidArgument('PASSWORD_INVALID', 'password must be 12-256 characters', [
      { field: 'password', description: '12-256 characters' },
    ]);
  }
}
