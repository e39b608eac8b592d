import type { NextFunction, Request, Response } from 'express';
import { safeEqual } from '../lib/hash.js';

/** Bearer ADMIN_TOKEN on every admin route; without a configured token the admin API is off. */
export function requireAdminToken(adminToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!adminToken) {
      return res.status(503).json({ error: 'admin API disabled: set ADMIN_TOKEN to enable it' });
    }
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    if (!token || !safeEqual(token, adminToken)) {
      return res.status(401).json({ error: 'Authorization: a valid "Bearer <ADMIN_TOKEN>" is required' });
    }
    next();
  };
}
