/*!40101 SET NAMES utf8mb4 */;
