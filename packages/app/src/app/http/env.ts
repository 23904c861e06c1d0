/** The user a session brings along on the reference site (joined from the users table). */
export interface AppUser {
  id: string;
  email: string;
}
