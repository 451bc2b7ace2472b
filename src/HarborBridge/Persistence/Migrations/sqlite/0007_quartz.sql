-- Quartz.NET keeps its RAM store on SQLite (one process); its ADO.NET tables exist only on PostgreSQL.
SELECT 1;
