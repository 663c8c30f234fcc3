import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { NOW_ISO, timestamps } from "./columns";
import { users } from "./identity";

export const trainings = sqliteTable(
  "trainings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    title: text("title").notNull(),
    description: text("description"),
    category: text("category", { enum: ["SECURITY", "LEADERSHIP", "TECHNICAL", "COMPLIANCE"] }).notNull(),
    level: text("level", { enum: ["BEGINNER", "INTERMEDIATE", "ADVANCED"] }).notNull(),
    status: text("status", { enum: ["PUBLISHED", "DRAFT"] })
      .notNull()
      .default("DRAFT"),
    durationMinutes: integer("duration_minutes"),
    credits: integer("credits"),
    instructorId: integer("instructor_id").references(() => users.id, { onDelete: "set null" }),
    maxParticipants: integer("max_participants"),
    startDate: text("start_date"),
    endDate: text("end_date"),
    location: text("location"),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    ...timestamps,
  },
  (t) => [index("trainings_status_idx").on(t.status, t.category)],
);

export const registrations = sqliteTable(
  "registrations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    trainingId: integer("training_id")
      .notNull()
      .references(() => trainings.id, { onDelete: "restrict" }),
    status: text("status", { enum: ["REGISTERED", "ATTENDED", "COMPLETED", "CANCELLED"] })
      .notNull()
      .default("REGISTERED"),
    registeredAt: text("registered_at").notNull().default(NOW_ISO),
    attendedAt: text("attended_at"),
    completionDate: text("completion_date"),
    cancelledAt: text("cancelled_at"),
    feedbackScore: integer("feedback_score"),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [
    // One active (not cancelled) registration per user and training.
    uniqueIndex("registrations_active_unique").on(t.userId, t.trainingId).where(sql`${t.status} <> 'CANCELLED'`),
    index("registrations_training_idx").on(t.trainingId, t.status),
    // Reports count registrations and completions of a period (`src/modules/reports`).
    index("registrations_registered_idx").on(t.registeredAt),
    index("registrations_completed_idx").on(t.completionDate),
  ],
);

/** KC7's module catalog. */
export const modules = sqliteTable("modules", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  title: text("title").notNull(),
  cleanTitle: text("clean_title").notNull(),
  description: text("description"),
  estTime: text("est_time").notNull().default("na"),
  difficulty: text("difficulty"),
  maxScore: integer("max_score").notNull().default(100),
  ...timestamps,
});

/** A user's enrollment and score in a module. */
export const moduleProgress = sqliteTable(
  "module_progress",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    moduleId: integer("module_id")
      .notNull()
      .references(() => modules.id, { onDelete: "cascade" }),
    score: real("score").notNull().default(0),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.userId, t.moduleId] }), index("module_progress_module_idx").on(t.moduleId)],
);
